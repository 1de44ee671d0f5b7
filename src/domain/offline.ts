/**
 * A truck is offline when nothing has been heard from it for this long: the default of OFFLINE_AFTER, and
 * what the truck card, the fleet summary and the daily report call offline.
 */
export const DEFAULT_OFFLINE_AFTER_MS = 30 * 60_000;
