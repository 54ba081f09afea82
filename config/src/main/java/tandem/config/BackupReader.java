package tandem.config;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads the optional {@code backups:} map. */
final class BackupReader {
  static final List<String> KEYS = List.of("schedule", "groups", "repository", "password-file", "keep", "run-on", "copy-to", "pitr",
      "s3-credentials-file");
  /** PostgreSQL settings that pitr: on writes itself. */
  static final List<String> ARCHIVE_KEYS = List.of("archive_mode", "archive_command", "archive_library", "restore_command");
  static final List<String> KEEP_KEYS = List.of("last", "hourly", "daily", "weekly", "monthly", "yearly");
  static final Map<String, String> SHORTHANDS = Map.of("hourly", "0 * * * *", "daily", "0 0 * * *", "weekly", "0 0 * * 0",
      "monthly", "0 0 1 * *");
  private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private BackupReader() {}

  static Map<String, BackupConfig> readAll(Section top, Path configDir, Set<String> groupNames,
      Map<String, GroupConfig> groups) {
    Section backups = top.open("backups", "a map of backup name to its settings, e.g. backups: { nightly: { schedule: daily,"
        + " groups: [web], repository: /backups/tandem, password-file: /etc/tandem/backup.key } }");
    Map<String, BackupConfig> out = new LinkedHashMap<>();
    for (String name : backups.keys()) {
      if (!Names.valid(name)) {
        backups.problem(name, Names.invalid("backup", name));
        continue;
      }
      BackupConfig b = read(name, backups.section(name, KEYS), configDir, groupNames, groups);
      if (b != null) {
        out.put(name, b);
      }
    }
    // One WAL spool per server: two pitr backups of a group would each get only part of its WAL.
    Map<String, String> archivedBy = new LinkedHashMap<>();
    for (BackupConfig b : out.values()) {
      for (String g : b.pitr() ? b.groups() : List.<String>of()) {
        String first = archivedBy.putIfAbsent(g, b.name());
        if (first != null) {
          backups.problem(b.name(), "group " + g + " is in backups " + first + " and " + b.name() + ", both with pitr: on; its WAL"
              + " can be archived into one repository only: keep pitr: on in one of them (copy-to copies it elsewhere)");
        }
      }
    }
    return out;
  }

  private static BackupConfig read(String name, Section s, Path dir, Set<String> groupNames, Map<String, GroupConfig> all) {
    int mark = s.problems().mark();
    String schedule = schedule(s);
    List<String> groups = new ArrayList<>();
    List<YamlValue> items = s.list("groups");
    for (int i = 0; i < items.size(); i++) {
      String where = Problems.item(s.pathOf("groups"), i);
      if (items.get(i) instanceof YamlValue.Scalar sc && groupNames.contains(sc.text())) {
        groups.add(sc.text());
      } else {
        s.problems().add(where, (items.get(i) instanceof YamlValue.Scalar sc ? "'" + sc.text() + "' is not a group of this file"
            : "expected a group name") + "; groups here: " + String.join(", ", groupNames));
      }
    }
    if (!s.has("groups") && !s.broken()) {
      s.missing("groups", "the groups to back up, e.g. groups: [web]");
    }
    RepositoryLocation repository = repository(s, "repository");
    Path passwordFile = null;
    if (s.required("password-file", "the file holding the repository's password, e.g. password-file: /etc/tandem/backup.key")
        != null) {
      passwordFile = s.path("password-file", dir);
    }
    BackupConfig.Keep keep = keep(s);
    BackupConfig.RunOn runOn = s.choice("run-on", BackupConfig.RunOn.REPLICA, BackupConfig.RunOn.class, "place to run backups");
    List<RepositoryLocation> copyTo = new ArrayList<>();
    List<YamlValue> copies = s.list("copy-to");
    for (int i = 0; i < copies.size(); i++) {
      String where = Problems.item(s.pathOf("copy-to"), i);
      if (!(copies.get(i) instanceof YamlValue.Scalar sc)) {
        s.problems().add(where, "expected a second repository: " + RepositoryLocation.FORMS);
        continue;
      }
      try {
        copyTo.add(RepositoryLocation.parse(sc.text()));
      } catch (IllegalArgumentException e) {
        s.problems().add(where, e.getMessage());
      }
    }
    if (repository != null && copyTo.contains(repository)) {
      s.problem("copy-to", "lists the repository itself (" + repository + "); copy-to is for a second repository elsewhere");
    }
    Path credentials = s.has("s3-credentials-file") ? s.path("s3-credentials-file", dir) : null;
    boolean pitr = pitr(s, groups, all);
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new BackupConfig(name, schedule, groups, repository, passwordFile, keep, runOn, copyTo, pitr, credentials);
  }

  /** {@code pitr: on|off}: on needs a postgres resource in every group, whose WAL archiving tandem then sets itself. */
  private static boolean pitr(Section s, List<String> groups, Map<String, GroupConfig> all) {
    String t = s.text("pitr");
    if (t == null) {
      return false;
    }
    boolean on = switch (t.toLowerCase(java.util.Locale.ROOT)) {
      case "on", "true", "yes" -> true;
      case "off", "false", "no" -> false;
      default -> {
        s.problem("pitr", "'" + t + "' is neither on nor off; write pitr: on to archive the groups' PostgreSQL WAL for"
            + " point-in-time recovery, or pitr: off");
        yield false;
      }
    };
    if (!on) {
      return false;
    }
    for (String name : groups) {
      GroupConfig g = all.get(name);
      if (g == null) {
        continue; // its own problems are reported under groups:
      }
      List<PostgresConfig> pgs = g.resources().stream().filter(PostgresConfig.class::isInstance).map(PostgresConfig.class::cast)
          .toList();
      if (pgs.isEmpty()) {
        s.problem("pitr", "group " + name + " has no postgres resource, so it has no WAL to archive; take pitr: on out of this"
            + " backup or move " + name + " to a backup without it");
      }
      for (PostgresConfig p : pgs) {
        for (String k : ARCHIVE_KEYS) {
          if (p.parameters().containsKey(k)) {
            s.problem("pitr", "group " + name + "'s postgres sets " + k + " in its parameters, but pitr: on makes tandem archive"
                + " the WAL itself; remove " + k + " from the parameters, or set pitr: off and keep your own archiving");
          }
        }
      }
    }
    return true;
  }

  private static String schedule(Section s) {
    String text = s.required("schedule", "when to back up: a cron expression such as \"0 3 * * *\", or hourly, daily, weekly, monthly");
    if (text == null) {
      return null;
    }
    String cron = SHORTHANDS.getOrDefault(text.startsWith("@") ? text.substring(1) : text, text);
    try {
      CRON.parse(cron).validate();
      return cron;
    } catch (IllegalArgumentException e) {
      s.problem("schedule", "'" + text + "' is not a cron expression (" + e.getMessage() + "); write 5 fields, minute hour"
          + " day-of-month month day-of-week, e.g. \"0 3 * * *\" for 03:00 every day, or hourly, daily, weekly, monthly");
      return null;
    }
  }

  private static RepositoryLocation repository(Section s, String key) {
    String text = s.required(key, "where the repository is: " + RepositoryLocation.FORMS);
    if (text == null) {
      return null;
    }
    if (text.startsWith("~")) {
      s.problem(key, "'" + text + "': tandem does not expand '~'; write the full path, e.g. /backups/tandem");
      return null;
    }
    try {
      return RepositoryLocation.parse(text);
    } catch (IllegalArgumentException e) {
      s.problem(key, e.getMessage());
      return null;
    }
  }

  private static BackupConfig.Keep keep(Section s) {
    if (!s.has("keep")) {
      s.missing("keep", "how many snapshots to keep, e.g. keep: { last: 3, daily: 7, weekly: 4, monthly: 12 }");
      return null;
    }
    Section k = s.section("keep", KEEP_KEYS);
    int mark = k.problems().mark();
    int[] v = new int[KEEP_KEYS.size()];
    for (int i = 0; i < v.length; i++) {
      Integer n = k.number(KEEP_KEYS.get(i), 0, -1, 1_000_000);
      v[i] = n == null ? 0 : n;
    }
    BackupConfig.Keep keep = new BackupConfig.Keep(v[0], v[1], v[2], v[3], v[4], v[5]);
    if (k.problems().noneSince(mark) && !k.broken() && keep.empty()) {
      s.problem("keep", "keeps nothing, so forget would remove every snapshot; set at least one of " + String.join(", ", KEEP_KEYS));
    }
    return keep;
  }
}
