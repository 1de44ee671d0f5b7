import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.ts';

// The agent's system prompt lives in prompts/system.md so it can be read and reviewed as prose. It is read
// once at start-up: a missing or empty file stops the start with a sentence saying which file.

export const DEFAULT_PROMPTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../prompts');
export const SYSTEM_PROMPT_FILE = 'system.md';

export async function loadSystemPrompt(dir: string = DEFAULT_PROMPTS_DIR): Promise<string> {
  const file = join(dir, SYSTEM_PROMPT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code ?? 'unknown error'})`;
    throw new AppError(
      'WT_NOT_CONFIGURED',
      `System prompt ${file}: ${why}; restore prompts/${SYSTEM_PROMPT_FILE}.`,
    );
  }
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new AppError(
      'WT_NOT_CONFIGURED',
      `System prompt ${file} is empty; restore prompts/${SYSTEM_PROMPT_FILE}.`,
    );
  }
  return trimmed;
}
