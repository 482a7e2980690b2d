/**
 * Telegram's part of the help: the command menu registered with setMyCommands, and the note /start and
 * /help add to the chat engine's answer (which says what the bot does, with examples) about sending
 * files through Telegram.
 */
import { megabytes } from '../../text.js';
import { ACCEPTED_FORMATS } from './uploads.js';

export const BOT_COMMANDS = [
  { command: 'start', description: 'What this bot does' },
  { command: 'help', description: 'What to send and what to ask' },
  { command: 'script', description: 'List the analyses, or run one: /script descriptive' },
  { command: 'preview', description: 'Show your data again' },
  { command: 'code', description: 'Send the last script as a file' },
  { command: 'scripts', description: 'List the saved scripts' },
] as const;

export function uploadNote(maxDownloadBytes: number): string {
  return (
    `On Telegram: send your table with 📎 → File (not as a photo), as ${ACCEPTED_FORMATS}, up to ` +
    `${megabytes(maxDownloadBytes)} (the most Telegram lets bots download).`
  );
}
