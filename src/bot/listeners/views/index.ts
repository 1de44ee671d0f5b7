import type { App, ViewSubmitAction } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { TRIP_MODAL_CALLBACK_ID } from '../../views/trip-modal.ts';
import { tripNewSubmission } from './trip-new.ts';

export function register(app: App, deps: BotDeps): void {
  app.view<ViewSubmitAction>(TRIP_MODAL_CALLBACK_ID, tripNewSubmission(deps));
}
