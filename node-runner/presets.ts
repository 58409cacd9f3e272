// The profiles and defaults (src/pipeline/defaults.ts, shared with the page) and
// which profile an adapter gets. Flags and --config values always win over a
// profile; change a default there and every command, the help text and `doctor` follow.
import type { AdapterReport } from '../src/gpu/device.ts';
import type { ProfileName } from '../src/pipeline/defaults.ts';

export {
  PROFILE_NAMES,
  PROFILES,
  STAGE_DEFAULTS,
  type PipelineDefaults,
  type Profile,
  type ProfileName,
} from '../src/pipeline/defaults.ts';

/** Which profile an adapter gets, and a sentence saying why. */
export function chooseProfile(report: Pick<AdapterReport, 'kind' | 'fallback' | 'adapter'>): {
  profile: ProfileName;
  reason: string;
} {
  if (report.fallback || report.kind !== 'gpu') {
    return {
      profile: 'software',
      reason: `the adapter (${report.kind}) is a software adapter: its work runs on CPU cores`,
    };
  }
  return { profile: 'gpu', reason: `the adapter (${report.adapter}) is a hardware GPU` };
}
