import type { DoctorScope } from "./doctor-scope.js";
import type { Finding } from "./finding.js";

/**
 * One of the doctor's checks, in a file named for what it checks (`checks/file-modes.ts`). A check
 * only looks and describes; what `--fix` would do travels with each finding as its `repair`.
 */
export interface DoctorCheck {
  name: string;
  run(scope: DoctorScope): Promise<Finding[]>;
}
