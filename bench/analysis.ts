/**
 * The data analysis workflow for `npm run bench`: one chat turn `/script descriptive` on a 10,000-row
 * table (template rendered, run in the conversation's session with pandas preloaded, its JSON parsed and
 * presented) next to the same generated script run by a bare `python3` (what the user would do without
 * scriptbox), and the direct TypeScript engine computing the same result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatEngine } from '../src/workflows/chat/engine.js';
import { createTemplateRegistry } from '../src/generate/registry.js';
import type { Engine } from '../src/index.js';
import { findAnalysis } from '../src/workflows/analysis/analyses/index.js';
import { readDataset } from '../src/workflows/analysis/dataset.js';
import { interleave } from './stats.js';
import { ratio, spawnAndWait, tenThousandRows } from './sessions.js';

export async function benchAnalysis(engine: Engine, rounds: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'scriptbox-bench-analysis-'));
  const registry = createTemplateRegistry();
  const chat = createChatEngine({ engine, registry });
  const spec = findAnalysis('descriptive');
  if (!spec) throw new Error('no descriptive analysis');
  try {
    const dataset = await readDataset('data.csv', Buffer.from(tenThousandRows()));
    writeFileSync(join(dir, 'data.csv'), dataset.csv);
    const params = registry.resolveParams(spec.templateId, { file: 'data.csv' });
    writeFileSync(join(dir, 'descriptive.py'), registry.render(spec.templateId, params).source);
    await chat.handle('bench', { kind: 'file', name: 'data.csv', bytes: Buffer.from(dataset.csv) });
    const chatTurn = async (): Promise<void> => {
      const replies = await chat.handle('bench', { kind: 'text', text: '/script descriptive' });
      if (!replies.some((reply) => reply.kind === 'table')) {
        throw new Error(`the chat answered without a result: ${JSON.stringify(replies)}`);
      }
    };
    const results = await interleave(
      {
        barePythonScript: () => spawnAndWait('/usr/bin/python3', ['descriptive.py'], dir),
        chatTurn,
        directEngine: () => Promise.resolve(spec.direct(dataset.table, params)),
      },
      Math.max(10, Math.floor(rounds / 3)),
      3,
    );
    return {
      ...results,
      chatTurnRatioVsBarePythonScriptP50: ratio(results['chatTurn'], results['barePythonScript']),
      directEngineRatioVsBarePythonScriptP50: ratio(results['directEngine'], results['barePythonScript']),
    };
  } finally {
    await chat.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
