/** What the model is told and how code is taken out of its replies. */
import { describe, expect, test } from 'vitest';
import type { RunResult } from '../../src/engine/result.js';
import { extractCode, repairMessage, systemPrompt } from '../../src/generate/llm/prompt.js';

describe('extractCode', () => {
  test.each([
    ['a block of the language', 'Sure:\n```python\nprint(1)\n```\nDone.', 'python', 'print(1)\n'],
    ['an alias', '```py\nprint(2)\n```', 'python', 'print(2)\n'],
    [
      'the right language over another',
      '```bash\npython3 main.py\n```\nand\n```python\nprint(3)\n```',
      'python',
      'print(3)\n',
    ],
    [
      'the longest block of the language',
      '```js\nx\n```\n```javascript\nconsole.log("long")\n```',
      'javascript',
      'console.log("long")\n',
    ],
    ['an untagged block', 'Here:\n```\necho hi\n```', 'bash', 'echo hi\n'],
    ['a tagged block over an untagged one', '```\nusage\n```\n```sh\necho ok\n```', 'bash', 'echo ok\n'],
    [
      'a block with fences inside strings',
      '````python\ns = "```"\nprint(s)\n````',
      'python',
      's = "```"\nprint(s)\n',
    ],
    ['a reply cut short', 'Here:\n```python\nprint(4)\nprint(5', 'python', 'print(4)\nprint(5\n'],
    ['no fence: the whole reply', '  print(6)\n', 'python', 'print(6)\n'],
    ['only another language: the whole reply', '```ruby\nputs 1\n```', 'python', '```ruby\nputs 1\n```\n'],
    ['nothing', '   ', 'python', ''],
  ])('%s', (_what, reply, language, code) => {
    expect(extractCode(reply, language)).toBe(code);
  });
});

describe('prompts', () => {
  test('the system prompt states the language, libraries, sandbox rules, inputs and output', () => {
    const text = systemPrompt({ language: 'python', inputs: ['sales.csv'], limits: { timeoutMs: 5000 } });
    expect(text).toMatch(/self-contained python script/);
    expect(text).toMatch(/pandas, numpy, scipy, scikit-learn .*matplotlib/);
    expect(text).toMatch(/no network/i);
    expect(text).toContain('sales.csv');
    expect(text).toContain('under out/');
    expect(text).toMatch(/ONE JSON object/);
    expect(text).toContain('5000 ms');
    expect(text).toContain('```python');
    expect(systemPrompt({ language: 'bash', inputs: [], limits: {} })).toMatch(
      /No input files[\s\S]*```bash/,
    );
  });

  test('the repair request carries the error, the stderr and the stdout', () => {
    const run = {
      stdout: 'partial\n',
      stderr: 'Traceback (most recent call last):\n  File "main.py", line 2\nKeyError: \'x\'\n',
    } as RunResult;
    const text = repairMessage('python', { error: { kind: 'runtime', message: "KeyError: 'x'" }, run });
    expect(text).toContain("The script failed (runtime): KeyError: 'x'");
    expect(text).toContain('File "main.py", line 2');
    expect(text).toContain('partial');
    expect(text).toMatch(/complete corrected script in one ```python block/);
    const syntax = repairMessage('python', {
      error: { kind: 'syntax', message: 'invalid syntax', line: 3 },
      run: null,
    });
    expect(syntax).toContain('The script failed (syntax at line 3): invalid syntax');
  });
});
