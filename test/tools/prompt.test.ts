import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { loadSystemPrompt } from '../../src/tools/prompt.ts';

describe('loadSystemPrompt', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wt-prompts-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("reads the repository's prompt, which covers the fleet's words, Lagos time and confirmation of writes", async () => {
    const prompt = await loadSystemPrompt();
    expect(prompt).toMatch(/^# Watch Tower/);
    for (const term of [
      'TAT',
      'terminal',
      'TRP-000042',
      'Africa/Lagos',
      'mrkdwn',
      'Never invent',
      'confirm',
    ]) {
      expect(prompt).toContain(term);
    }
  });

  it('reads system.md from the directory it is given, trimmed', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'system.md'), '\n  You are a test prompt.\n\n');
    expect(await loadSystemPrompt(dir)).toBe('You are a test prompt.');
  });

  it('fails naming the file when the prompt is missing', async () => {
    const dir = await tempDir();
    const err = await loadSystemPrompt(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('WT_NOT_CONFIGURED');
    expect((err as AppError).message).toBe(
      `System prompt ${join(dir, 'system.md')}: it does not exist; restore prompts/system.md.`,
    );
  });

  it('fails when the prompt is empty', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'system.md'), '   \n');
    await expect(loadSystemPrompt(dir)).rejects.toThrow(/is empty/);
  });
});
