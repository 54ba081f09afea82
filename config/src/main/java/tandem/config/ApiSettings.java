package tandem.config;

/**
 * The REST API's access rules ({@code api:} in tandem.yaml). The load-balancer endpoints (/health, /liveness,
 * /primary, /replica, /read-only) are always open: load balancers cannot send a token. Mutating calls always need it.
 *
 * @param openRead true: the read-only calls (GET /api/v1/status, /api/v1/events, /metrics) answer without the token
 */
public record ApiSettings(boolean openRead) {
  /** The default: read-only calls need the token too. */
  public static final ApiSettings DEFAULT = new ApiSettings(false);
}
