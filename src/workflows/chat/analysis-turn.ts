/**
 * An analysis asked for by `/script <analysis> [columns...]` or in words: its parameters from the columns
 * named, its reviewed template run in the conversation's session (no confirmation: templates are
 * reviewed code), and the answer: the analysis's blocks, each chart as an image, a usage line. Columns
 * that do not fit get an answer listing the columns there are (and which are numeric).
 */
import { InvalidOptionsError } from '../../errors.js';
import { runAnalysis, sessionRunner, usageLine, type AnalysisRun } from '../analysis/analyze.js';
import type { Dataset } from '../analysis/dataset.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import { messageWithExample } from '../analysis/usage-example.js';
import { closeNames, didYouMean } from './close-names.js';
import { columnsText, noDatasetReplies, numericColumnsText, scriptCommandText } from './help.js';
import type { AnalysisRequest } from './intent.js';
import { progress, text, type Turn } from './turn.js';
import { plural, quoted } from '../../text.js';
import type { ChatReply } from './types.js';

function columnHelp(dataset: Dataset): ChatReply {
  const { table } = dataset;
  return text(
    `Columns of ${dataset.sourceName}: ${columnsText(table)}. Numeric: ${numericColumnsText(table)}.`,
  );
}

/** ` Did you mean price?` for a mistyped column; for several, which column each may have meant. */
function closeColumnsText(unknown: readonly string[], dataset: Dataset): string {
  const names = dataset.table.columns.map((column) => column.name);
  const [only] = unknown;
  if (unknown.length === 1 && only !== undefined) return didYouMean(only, names, (name) => quoted([name]));
  const meant = unknown
    .map((typed) => ({ typed, close: closeNames(typed, names, 1)[0] }))
    .filter((entry) => entry.close !== undefined)
    .map((entry) => `${quoted([entry.close ?? ''])} for ${quoted([entry.typed])}`);
  return meant.length > 0 ? ` Did you mean ${meant.join(', ')}?` : '';
}

/** Saves a template's script to the library (for "generate code …"), so "run code <name>" finds it. */
function saveToLibrary(turn: Turn, spec: AnalysisSpec, analysis: AnalysisRun): ChatReply[] {
  const { library } = turn.chat;
  if (!library || !analysis.run.ok) return [];
  const file = typeof analysis.params['file'] === 'string' ? analysis.params['file'] : 'the data';
  const saved = library.save({
    category: 'stats',
    task: spec.name,
    language: 'python',
    source: analysis.script.source,
    description: `${spec.summary}; generated in the chat for ${file}`,
    tags: ['generated', 'template', 'chat'],
    who: turn.who,
  });
  library.recordRun(saved.name, saved.version, analysis.run, turn.who);
  const where = saved.existed === true ? 'Already in the library (the same script)' : 'Saved to the library';
  return [text(`${where} as ${saved.name}: "run code ${saved.name}" runs it again.`)];
}

export interface AnalysisTurnOpts {
  /** Keep the script in the library ("generate code …" without an LLM). */
  save: boolean;
}

export async function analysisTurn(
  turn: Turn,
  request: AnalysisRequest & { unknown: string[] },
  opts: AnalysisTurnOpts = { save: false },
): Promise<ChatReply[]> {
  const spec = turn.chat.analyses.find((analysis) => analysis.name === request.analysis);
  const dataset = turn.conversation.dataset;
  if (!spec) return [text(`No analysis called ${request.analysis}; /script lists them.`)];
  if (!dataset) return noDatasetReplies();
  if (request.unknown.length > 0) {
    const which = request.unknown.length === 1 ? 'is no column' : 'are no columns';
    const close = closeColumnsText(request.unknown, dataset);
    return [
      text(`${quoted(request.unknown)} ${which} of ${dataset.sourceName}.${close}`),
      columnHelp(dataset),
    ];
  }
  let params: Record<string, unknown>;
  try {
    params = spec.paramsFromColumns(request.columns, dataset.table);
  } catch (err) {
    if (!(err instanceof InvalidOptionsError)) throw err;
    return [text(messageWithExample(err, scriptCommandText)), columnHelp(dataset)];
  }
  const { registry, limits } = turn.chat;
  progress(turn, 'generating', `writing the ${spec.name} script`);
  progress(turn, 'running', `running ${spec.name} on ${dataset.sourceName}`);
  const analysis = await runAnalysis({
    registry,
    dataset,
    spec,
    params,
    runner: (job) =>
      turn.conversation.runInSession({
        run: (session) => sessionRunner(session, limits)(job),
        signal: job.signal,
      }),
    signal: turn.hooks.signal,
  });
  const { script, charts } = analysis;
  turn.conversation.lastScript = {
    fileName: script.fileName,
    source: script.source,
    origin: `the ${spec.name} template`,
  };
  if (charts.length > 0) progress(turn, 'charting', `sending ${plural(charts.length, 'chart')}`);
  return [
    ...analysis.blocks,
    ...charts.map((chart): ChatReply => ({
      kind: 'image',
      name: chart.name,
      bytes: chart.bytes,
      caption: `${spec.name} · ${dataset.sourceName}`,
    })),
    text(usageLine(analysis.run)),
    ...(opts.save ? saveToLibrary(turn, spec, analysis) : []),
  ];
}
