package tandem.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tandem.core.NodeName;

/**
 * Reads tandem.yaml into a {@link TandemConfig}: all defaults filled in, or a {@link ConfigException} naming every
 * problem with its key path. Keys are kebab-case and unknown keys are errors.
 */
public final class ConfigLoader {
  static final List<String> KEYS = List.of("cluster", "node", "failover", "groups", "log", "backups", "dns", "alerts", "api",
      "lag-alert");

  private ConfigLoader() {}

  /** Reads and checks the file at {@code file}. */
  public static TandemConfig load(Path file) throws ConfigException {
    Path absolute = file.toAbsolutePath().normalize();
    try {
      return parse(Files.readString(absolute), absolute);
    } catch (NoSuchFileException e) {
      throw fileProblem(absolute, "the file does not exist; write one with tandem init or give the right path");
    } catch (MalformedInputException e) {
      throw fileProblem(absolute, "the file is not UTF-8 text; save it as UTF-8");
    } catch (IOException e) {
      throw fileProblem(absolute, "the file cannot be read (" + e + "); check its permissions");
    }
  }

  /**
   * Checks YAML text as if it had been read from {@code file}; relative paths in it are taken from that file's
   * directory.
   */
  public static TandemConfig parse(String yaml, Path file) throws ConfigException {
    Path absolute = file.toAbsolutePath().normalize();
    Problems problems = new Problems();
    YamlValue root = YamlTree.parse(yaml, problems);
    TandemConfig config = root == null ? null : read(Section.of(root, "", problems, KEYS), absolute);
    if (!problems.isEmpty()) {
      throw new ConfigException(absolute, problems.list());
    }
    return config;
  }

  private static TandemConfig read(Section top, Path file) {
    Path dir = file.getParent();
    String cluster = cluster(top);
    NodeConfig node = NodeReader.read(top, dir);
    FailoverSettings failover = FailoverReader.read(top);
    Map<String, GroupConfig> groups = GroupReader.readAll(top, dir);
    LogFormat logFormat = top.section("log", List.of("format")).choice("format", LogFormat.TEXT, LogFormat.class,
        "log format");
    if (node != null) {
      ConfigValidator.witness(node, groups, top.problems());
      ConfigValidator.files(node, groups, top.problems());
      ConfigValidator.postgres(node, groups, top.problems());
      ConfigValidator.proxies(node, groups, top.problems());
      ConfigValidator.mariadb(node, groups, top.problems());
    }
    // Every group named in the file, also one with problems of its own (those are reported there).
    java.util.Set<String> groupNames = Section.open(top.get("groups"), "groups", new Problems(), "groups").keys();
    Map<String, BackupConfig> backups = BackupReader.readAll(top, dir, groupNames, groups);
    java.util.Optional<DnsConfig> dns = DnsReader.read(top);
    List<AlertTarget> alerts = AlertReader.readAll(top, dir);
    ApiSettings api = AlertReader.api(top);
    LagAlert lagAlert = AlertReader.lagAlert(top);
    return top.problems().isEmpty()
        ? new TandemConfig(cluster, node, failover, groups, file, logFormat, backups, dns, alerts, api, lagAlert) : null;
  }

  private static String cluster(Section top) {
    String name = top.required("cluster", "the cluster's name, the same on every node, e.g. cluster: shop");
    if (name != null && !NodeName.isValid(name)) {
      top.problem("cluster", Names.invalid("cluster", name));
    }
    return name;
  }

  private static ConfigException fileProblem(Path file, String message) {
    return new ConfigException(file, List.of(new ConfigProblem("", message)));
  }
}
