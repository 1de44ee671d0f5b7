import type { App } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { directMessage } from './direct-message.ts';

export function register(app: App, deps: BotDeps): void {
  app.message(directMessage(deps));
}
