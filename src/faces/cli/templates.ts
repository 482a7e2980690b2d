/**
 * `scriptbox templates [list | show <id>] [--json]`: the template packs (built-in and SCRIPTBOX_TEMPLATES).
 * `list` prints one line per template; `show` a template's description, parameters and an example command.
 * With --json stdout carries exactly one JSON object: `{ templates }` for list, the template for show.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { exampleCommand } from '../../generate/param-args.js';
import type { ParamSpec } from '../../generate/params.js';
import { createTemplateRegistry, type TemplateDetails, type TemplateInfo } from '../../generate/registry.js';
import { writeText } from './io.js';

const TemplatesCliOptsSchema = z.object({ json: z.boolean().default(false) });

export function templatesCommand(setExitCode: (code: number) => void): Command {
  return new Command('templates')
    .description('list the template packs, or show one template and its parameters')
    .argument('[action]', 'list (the default) or show')
    .argument('[id]', 'with show: the template id, <pack>/<name>, e.g. stats/descriptive')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      '\nUser packs come from SCRIPTBOX_TEMPLATES (colon-separated directories, searched before the built-in ' +
        'packs).\nExit codes: 0 ok; 2 usage error, unknown template or an invalid pack.',
    )
    .action(async (action: string | undefined, id: string | undefined, raw: unknown) => {
      const opts = TemplatesCliOptsSchema.parse(raw);
      setExitCode(await templates(action ?? 'list', id, opts.json));
    });
}

async function templates(action: string, id: string | undefined, json: boolean): Promise<number> {
  if (action === 'list') {
    if (id !== undefined)
      throw new UsageError(`templates list takes no id; use: scriptbox templates show ${id}`);
    const list = createTemplateRegistry().list();
    await writeText(process.stdout, json ? `${JSON.stringify({ templates: list })}\n` : formatList(list));
    return 0;
  }
  if (action === 'show') {
    if (id === undefined) throw new UsageError('templates show needs a template id, e.g. stats/descriptive');
    const details = createTemplateRegistry().show(id);
    await writeText(process.stdout, json ? `${JSON.stringify(details)}\n` : formatDetails(details));
    return 0;
  }
  throw new UsageError(`unknown templates action "${action}": use list or show <id>`);
}

function formatList(list: TemplateInfo[]): string {
  if (list.length === 0) return 'no templates (check SCRIPTBOX_TEMPLATES)\n';
  const width = Math.max(...list.map((t) => t.id.length));
  const langWidth = Math.max(...list.map((t) => t.language.length));
  const lines = list.map((t) => {
    const origin =
      t.origin === 'user' ? ` [user${t.overrides.length > 0 ? ', replaces a built-in' : ''}]` : '';
    return `${t.id.padEnd(width)}  ${t.language.padEnd(langWidth)}  ${t.description}${origin}`;
  });
  return `${lines.join('\n')}\n\nscriptbox templates show <id> for parameters; scriptbox generate <id> to generate\n`;
}

function describeParam(param: ParamSpec): string {
  const notes: string[] = [];
  if (param.enum) notes.push(`one of ${param.enum.join(', ')}`);
  if (param.min !== undefined || param.max !== undefined) {
    notes.push(`${param.min ?? '-inf'} to ${param.max ?? 'inf'}`);
  }
  if (param.required === true) notes.push('required');
  else if (param.default !== undefined) notes.push(`default ${JSON.stringify(param.default)}`);
  else notes.push('optional');
  return `${param.description} (${notes.join('; ')})`;
}

function formatDetails(details: TemplateDetails): string {
  const nameWidth = Math.max(4, ...details.params.map((p) => p.name.length));
  const typeWidth = Math.max(4, ...details.params.map((p) => p.type.length));
  const lines = [
    `${details.id} · ${details.language} · ${details.origin === 'user' ? 'user pack' : 'built-in'} (${details.path})`,
    `  ${details.description}`,
    '',
    details.params.length > 0
      ? 'Parameters (--param name=value; lists comma-separated or as a JSON array):'
      : 'No parameters.',
    ...details.params.map(
      (p) => `  ${p.name.padEnd(nameWidth)}  ${p.type.padEnd(typeWidth)}  ${describeParam(p)}`,
    ),
  ];
  if (Object.keys(details.limits).length > 0) {
    lines.push('', `Needs limits: ${JSON.stringify(details.limits)}`);
  }
  if (details.example) lines.push('', 'Example:', `  ${exampleCommand(details.id, details.example)}`);
  if (details.overrides.length > 0) lines.push('', `Replaces: ${details.overrides.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
