/** Why a request was refused before GraphQL ran: a top-level GraphQL error with this code and status. */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE',
    message: string,
    /** Logged, never sent: what exactly was wrong with the credentials. */
    readonly reason: string,
  ) {
    super(message);
  }

  /** The HTTP status for the code. */
  get statusCode(): number {
    return this.code === 'UNAUTHENTICATED' ? 401 : this.code === 'FORBIDDEN' ? 403 : 503;
  }
}
