import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { TRIP_STATUS_ACTION } from '../../views/trip-card.ts';
import { tripStatusAction } from './trip-status.ts';

export function register(app: App, deps: BotDeps): void {
  app.action<BlockButtonAction>(TRIP_STATUS_ACTION, tripStatusAction(deps));
}
