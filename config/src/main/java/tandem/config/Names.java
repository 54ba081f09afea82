package tandem.config;

import tandem.core.NodeName;

/** The naming rule shared by clusters, groups and nodes, with the message that explains it. */
final class Names {
  static final String RULE = "use 1-63 lower-case letters, digits or '-', starting with a letter or digit";

  private Names() {}

  static boolean valid(String name) {
    return NodeName.isValid(name);
  }

  /** "'Shop' is not a valid cluster name: use 1-63 lower-case letters...". */
  static String invalid(String what, String name) {
    return "'" + name + "' is not a valid " + what + " name: " + RULE;
  }
}
