package tandem.cluster;

/**
 * A one-time join token, known to the cluster by the hash of its secret only.
 *
 * @param secretHash hex SHA-256 of the token's secret
 * @param inviter the node that printed it
 * @param expiresAtMillis wall-clock expiry
 * @param usedBy the node that used it, or null while unused
 */
public record Invite(String secretHash, String inviter, long expiresAtMillis, String usedBy) {}
