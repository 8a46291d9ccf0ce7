import { AuditLog } from "../../audit/audit-log.js";
import { isTesseraError } from "../../errors.js";
import { invalidPins } from "../../sessions/session-model.js";
import { type SessionEntry, SessionStore } from "../../sessions/session-store.js";
import { agentPrefix, DOCTOR_ACTOR } from "../agent-auth.js";
import type { DoctorCheck } from "../doctor-check.js";
import { type Finding, RepairPhase } from "../finding.js";
import { sessionScanOf } from "../state-files.js";

/**
 * Session pins that no longer apply (every session file, and an unmigrated `sessions.json`). A
 * profile pin whose profile is gone is dangling: `--fix` clears exactly that pin (compare-and-clear
 * under the session's lock, audited), leaving the model pin and history alone. Other stale pins (a model no longer allowed, a profile of another
 * provider than the model) are reported; the gateway clears those itself on the session's next
 * message and tells the chat why, which doctor cannot do.
 */
export const sessionPinsCheck: DoctorCheck = {
  name: "session-pins",
  async run(scope) {
    const findings: Finding[] = [];
    const audit = new AuditLog(scope.paths.auditPath);
    for (const agent of scope.agents) {
      const { snapshot: auth } = await scope.agentAuth(agent);
      if (!auth) continue;
      const sessions = new SessionStore(scope.paths.stateDir, agent, audit);
      let all: Record<string, SessionEntry>;
      try {
        // Files that cannot be read are the corrupt-files and session-layout checks' findings.
        all = (await sessions.scan(await sessionScanOf(scope, agent))).sessions;
      } catch (err) {
        if (isTesseraError(err) && (err.code === "FILE_CORRUPT" || err.code === "FILE_INVALID")) continue;
        throw err;
      }
      const prefix = agentPrefix(scope, agent);
      for (const [key, entry] of Object.entries(all)) {
        for (const pin of invalidPins(scope.config, entry, auth.profiles.profiles)) {
          const dangling = pin.kind === "profile" && !Object.hasOwn(auth.profiles.profiles, pin.value);
          if (!dangling && !scope.configValid) continue; // judged against defaults, not the user's config
          findings.push({
            check: "session-pins",
            key: `pin:${agent}:${key}:${pin.kind}:${pin.value}`,
            severity: "warning",
            what: `${prefix}session ${key} pins ${pin.kind} ${pin.value}, but ${pin.reason}`,
            fix: dangling
              ? "tessera doctor --fix   (clears that pin; or in the chat: /model reset)"
              : "none needed: the gateway clears it on the session's next message and says why (or in the chat: /model reset)",
            path: sessions.pathOf(key),
            agent,
            profileId: pin.kind === "profile" ? pin.value : undefined,
            repair: dangling
              ? {
                  describe: `clear the profile pin ${pin.value} of session ${key}`,
                  phase: RepairPhase.pins,
                  async apply() {
                    const cleared = await sessions.clearPinIf(
                      key,
                      "profile",
                      pin.value,
                      "doctor: the profile no longer exists",
                      DOCTOR_ACTOR,
                    );
                    return cleared
                      ? `cleared the dangling pin ${pin.value} of session ${key}${prefix ? ` (agent ${agent})` : ""}`
                      : `session ${key} no longer pinned ${pin.value}`;
                  },
                }
              : undefined,
          });
        }
      }
    }
    return findings;
  },
};
