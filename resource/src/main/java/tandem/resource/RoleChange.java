package tandem.resource;

import java.util.Map;
import tandem.core.Role;

/**
 * The facts of a change of role, as keepalived's notify scripts get them.
 *
 * @param node this node's name
 * @param group the group
 * @param role the new role
 * @param oldRole the role before
 * @param epoch the group's epoch
 */
public record RoleChange(String node, String group, Role role, Role oldRole, long epoch) {

  /** The environment given to hooks and service commands. */
  public Map<String, String> environment() {
    return Map.of(
        "TANDEM_NODE", node,
        "TANDEM_GROUP", group,
        "TANDEM_ROLE", role.word(),
        "TANDEM_OLD_ROLE", oldRole.word(),
        "TANDEM_EPOCH", Long.toString(epoch));
  }
}
