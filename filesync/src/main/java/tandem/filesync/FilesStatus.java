package tandem.filesync;

import java.util.List;

/**
 * One replicated directory on this node.
 *
 * @param group the group
 * @param resource its position among the group's files resources
 * @param path the directory on this node
 * @param sending true while this node is the primary and sends
 * @param entries entries in this node's index
 * @param bytes file bytes in it
 * @param replicas each replica's progress (on the primary)
 * @param receiver what this node received (on a replica)
 */
public record FilesStatus(String group, int resource, String path, boolean sending, long entries, long bytes,
    List<ReplicaProgress> replicas, ReceiverStatus receiver) {}
