/**
 * The README cannot drift from the code: its usage synopsis is held to the commander program the
 * `scriptbox` executable runs (every command and flag it lists exists, takes a value when it shows one,
 * with the same placeholder when it shows `<...>`; every command and flag of the CLI is listed), and its
 * list of the built-in `stats` templates to templates/stats/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/faces/cli/program.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const program = buildProgram(() => undefined);

/** One `scriptbox ...` line of the synopsis with its indented continuation lines. */
interface Entry {
  text: string;
  /** The commands it names (`cache stats|clear` names two). */
  commands: Command[];
  /** Each flag as written, with what follows it when it shows a value, and whether it is in brackets. */
  flags: Array<{ flag: string; value: string | null; bracketed: boolean }>;
}

/** The fenced block without a language right after `## Usage`'s examples: the synopsis. */
function synopsisLines(): string[] {
  const usage = README.slice(README.indexOf('\n## Usage\n'));
  const block = /\n```\n(scriptbox [\s\S]*?)\n```\n/.exec(usage)?.[1];
  if (block === undefined) throw new Error('README: no ``` block of `scriptbox ...` lines under ## Usage');
  return block.split('\n');
}

const pathOf = (command: Command): string => {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
};

function parseEntry(text: string): Entry {
  const words = text.split(/\s+/).slice(1); // after `scriptbox`
  let commands: Command[] = [program];
  let at = 0;
  // Command words: `bot telegram`, `cache stats|clear`; the first other word ends them.
  for (; at < words.length; at++) {
    const word = words[at] ?? '';
    if (!/^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(word) || commands.every((c) => c.commands.length === 0))
      break;
    commands = word.split('|').flatMap((name) =>
      commands.map((parent) => {
        const sub = parent.commands.find((c) => c.name() === name);
        if (sub === undefined) throw new Error(`README synopsis: \`${name}\` is no command (in: ${text})`);
        return sub;
      }),
    );
  }
  const rest = words.slice(at).join(' ');
  const flags: Entry['flags'] = [];
  for (const match of rest.matchAll(/--[a-z][a-z0-9-]*/g)) {
    const before = rest.slice(0, match.index);
    const depth = (before.match(/\[/g) ?? []).length - (before.match(/\]/g) ?? []).length;
    // A value follows when the next word is not another flag, a bracket, an alternative or a repeat mark.
    const next =
      /^ (<[^>]*>|[^\s[\]|.-][^\s\]]*)/.exec(rest.slice(match.index + match[0].length))?.[1] ?? null;
    flags.push({ flag: match[0], value: next, bracketed: depth > 0 });
  }
  return { text, commands, flags };
}

function entries(): Entry[] {
  const grouped: string[] = [];
  for (const line of synopsisLines()) {
    if (line.startsWith('scriptbox ')) grouped.push(line);
    else if (/^\s+\S/.test(line) && grouped.length > 0) grouped[grouped.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') throw new Error(`README synopsis: a line that is no command: ${line}`);
  }
  return grouped.map(parseEntry);
}

/** Every command that runs something (no subcommands of its own), depth first. */
function leafCommands(command: Command = program): Command[] {
  return command.commands.flatMap((sub) => (sub.commands.length === 0 ? [sub] : leafCommands(sub)));
}

const takesValue = (option: Option): boolean => option.required || option.optional;
/** `--grace <seconds>` -> `<seconds>` */
const placeholderOf = (option: Option): string | undefined => /[<[][^>\]]*[>\]]/.exec(option.flags)?.[0];

describe('README usage synopsis', () => {
  const parsed = entries();

  it('names only commands that exist and run something', () => {
    expect(parsed.length).toBeGreaterThan(10); // a control: the block was found and read
    for (const entry of parsed) {
      for (const command of entry.commands) {
        expect(command, entry.text).not.toBe(program);
        expect(
          command.commands.map((c) => c.name()),
          `${pathOf(command)} is a group: name its subcommands`,
        ).toEqual([]);
      }
    }
  });

  it('lists only flags each command has, with a value exactly when it takes one', () => {
    const problems: string[] = [];
    for (const entry of parsed) {
      for (const command of entry.commands) {
        for (const { flag, value } of entry.flags) {
          const where = `scriptbox ${pathOf(command)} ${flag}`;
          const option = command.options.find((o) => o.long === flag);
          if (option === undefined) problems.push(`${where}: no such flag`);
          else if ((value !== null) !== takesValue(option))
            problems.push(
              `${where}: shown ${value === null ? 'without' : 'with'} a value, is ${option.flags}`,
            );
          else if (value?.startsWith('<') && value !== placeholderOf(option))
            problems.push(`${where}: shown as ${value}, is ${option.flags}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists every command and every flag of the CLI, required flags outside brackets', () => {
    const problems: string[] = [];
    for (const command of leafCommands()) {
      const path = `scriptbox ${pathOf(command)}`;
      const own = parsed.filter((entry) => entry.commands.includes(command));
      if (own.length === 0) problems.push(`${path}: missing`);
      const listed = own.flatMap((entry) => entry.flags);
      for (const option of command.options) {
        const shown = listed.filter(({ flag }) => flag === option.long);
        if (shown.length === 0) problems.push(`${path} ${option.flags}: missing`);
        else if (option.mandatory && shown.some(({ bracketed }) => bracketed))
          problems.push(`${path} ${option.long}: required, shown as [optional]`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('README template list', () => {
  it('names every template of the built-in stats pack, and no other', () => {
    const sentence = /The built-in `stats` pack has\s+((?:`\w+`,?\s+(?:and\s+)?)+)/.exec(README)?.[1] ?? '';
    const listed = [...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
    const templates = readdirSync(new URL('../../templates/stats/', import.meta.url))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .sort();
    expect(templates.length).toBeGreaterThan(0);
    expect(listed).toEqual(templates);
  });
});
