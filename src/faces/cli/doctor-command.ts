/** `scriptbox doctor [--json]`: prints the doctor report; exit 0 only when every required check passes. */
import { Command } from 'commander';
import { z } from 'zod';
import { runSelfTest } from '../../engine/self-test.js';
import { selfTestReport } from '../../sandbox/self-test-check.js';
import { toolchainChecks } from '../../workflows/instrument/toolchains.js';
import { renderReport } from './doctor-report.js';
import { writeText } from './io.js';

const SANDBOX_UNAVAILABLE = 70;

const DoctorCliOptsSchema = z.object({ json: z.boolean().default(false) });

export function doctorCommand(setExitCode: (code: number) => void): Command {
  return new Command('doctor')
    .description('check that everything a sandboxed run needs is here, and say how to fix what is not')
    .option(
      '--json',
      'print the report as one JSON object: {ok, checks: [{name, required, ok, detail, fix}]}',
    )
    .action(async (raw: unknown) => {
      const opts = DoctorCliOptsSchema.parse(raw);
      // The sandbox's checks, then the (optional) toolchains instrumented trees build with.
      const [sandbox, toolchains] = await Promise.all([runSelfTest(), toolchainChecks()]);
      const report = selfTestReport([...sandbox.checks, ...toolchains]);
      await writeText(process.stdout, opts.json ? `${JSON.stringify(report)}\n` : renderReport(report));
      setExitCode(report.ok ? 0 : SANDBOX_UNAVAILABLE);
    });
}
