// Every error Watch Tower reports on purpose: a stable code, a sentence for people, and the HTTP status REST
// maps it to. Slack and the agent show `message`; nothing else about the failure leaves the process.

export const ERRORS = {
  WT_BAD_REQUEST: 400,
  WT_VALIDATION: 400,
  WT_UNAUTHORIZED: 401,
  WT_FORBIDDEN: 403,
  WT_NOT_FOUND: 404,
  WT_TRUCK_NOT_FOUND: 404,
  WT_TRIP_NOT_FOUND: 404,
  WT_GEOFENCE_NOT_FOUND: 404,
  WT_CONFLICT: 409,
  WT_TRIP_TRANSITION: 409,
  WT_VERSION_CONFLICT: 409,
  WT_TRUCK_BUSY: 409,
  WT_PAYLOAD_TOO_LARGE: 413,
  WT_RATE_LIMITED: 429,
  WT_INTERNAL: 500,
  WT_UNAVAILABLE: 503,
  WT_NOT_CONFIGURED: 503,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERRORS[code];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
