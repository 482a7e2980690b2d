/** The sandbox's own settings: where bubblewrap is, and the host uids sandboxes run as when root. */
import { z } from 'zod';
import { DEFAULT_SANDBOX_UIDS, formatUidRange, MAX_SANDBOX_UID } from './uid-pool.js';

const HostUidSchema = z.number().int().min(1).max(MAX_SANDBOX_UID);

/** A range of host uids, both ends included (SCRIPTBOX_SANDBOX_UIDS=first-last). */
export const UidRangeSchema = z
  .object({
    first: HostUidSchema.describe('First host uid of the range'),
    last: HostUidSchema.describe('Last host uid of the range (included)'),
  })
  .strict()
  .refine((range) => range.first <= range.last, { message: 'first must not be above last', path: ['last'] });

export const SandboxOptsSchema = z
  .object({
    bwrapPath: z.string().describe('Path of the bubblewrap binary'),
    uids: UidRangeSchema.describe(
      'Host uids for sandboxes when scriptbox runs as root: each live sandbox runs as one of them alone ' +
        '(gid: the same number), so no per-uid kernel state is shared; use uids no account or ' +
        `subordinate range has (default ${formatUidRange(DEFAULT_SANDBOX_UIDS)}). A one-uid range runs ` +
        "every sandbox as that uid. Not root: sandboxes run as the caller's uid",
    ),
  })
  .strict();
export type SandboxOpts = z.infer<typeof SandboxOptsSchema>;
