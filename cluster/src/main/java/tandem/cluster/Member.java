package tandem.cluster;

/**
 * A node that joined the cluster: its name, pinned identity and addresses.
 *
 * @param name the node's name (unique)
 * @param nodeId the SHA-256 of its certificate, base32; peers are pinned by it
 * @param certificatePem its self-signed certificate
 * @param listen host:port of its agent-to-agent transport
 * @param raft host:port of its Raft server
 * @param api host:port of its REST API
 * @param witness true for a node that only votes and holds no group
 * @param joinedAtMillis wall-clock time of the join, for humans
 */
public record Member(
    String name,
    String nodeId,
    String certificatePem,
    String listen,
    String raft,
    String api,
    boolean witness,
    long joinedAtMillis) {}
