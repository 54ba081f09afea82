package tandem.resource;

import java.util.Map;

/**
 * One shell command the fencing watchdog runs to stop a group on this node.
 *
 * @param command the command line (run with sh -c)
 * @param env its environment additions
 * @param timeoutMillis how long it may run
 */
public record FenceStep(String command, Map<String, String> env, long timeoutMillis) {}
