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
  static final List<String> KEYS = List.of("schedule", "groups", "repository", "password-file", "keep", "run-on", "copy-to");
  static final List<String> KEEP_KEYS = List.of("last", "hourly", "daily", "weekly", "monthly", "yearly");
  static final Map<String, String> SHORTHANDS = Map.of("hourly", "0 * * * *", "daily", "0 0 * * *", "weekly", "0 0 * * 0",
      "monthly", "0 0 1 * *");
  private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private BackupReader() {}

  static Map<String, BackupConfig> readAll(Section top, Path configDir, Set<String> groupNames) {
    Section backups = top.open("backups", "a map of backup name to its settings, e.g. backups: { nightly: { schedule: daily,"
        + " groups: [web], repository: /backups/tandem, password-file: /etc/tandem/backup.key } }");
    Map<String, BackupConfig> out = new LinkedHashMap<>();
    for (String name : backups.keys()) {
      if (!Names.valid(name)) {
        backups.problem(name, Names.invalid("backup", name));
        continue;
      }
      BackupConfig b = read(name, backups.section(name, KEYS), configDir, groupNames);
      if (b != null) {
        out.put(name, b);
      }
    }
    return out;
  }

  private static BackupConfig read(String name, Section s, Path dir, Set<String> groupNames) {
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
    Path repository = repository(s, "repository", dir);
    Path passwordFile = null;
    if (s.required("password-file", "the file holding the repository's password, e.g. password-file: /etc/tandem/backup.key")
        != null) {
      passwordFile = s.path("password-file", dir);
    }
    BackupConfig.Keep keep = keep(s);
    BackupConfig.RunOn runOn = s.choice("run-on", BackupConfig.RunOn.REPLICA, BackupConfig.RunOn.class, "place to run backups");
    List<Path> copyTo = new ArrayList<>();
    List<YamlValue> copies = s.list("copy-to");
    for (int i = 0; i < copies.size(); i++) {
      if (copies.get(i) instanceof YamlValue.Scalar sc && sc.text().startsWith("/")) {
        copyTo.add(Path.of(sc.text()).normalize());
      } else {
        s.problems().add(Problems.item(s.pathOf("copy-to"), i), "expected the absolute path of a second repository, e.g."
            + " /mnt/offsite/tandem" + (copies.get(i) instanceof YamlValue.Scalar sc && sc.text().contains("://")
                ? " (only directories are supported so far; mount the remote storage)" : ""));
      }
    }
    if (!s.problems().noneSince(mark) || s.broken()) {
      return null;
    }
    return new BackupConfig(name, schedule, groups, repository, passwordFile, keep, runOn, copyTo);
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

  private static Path repository(Section s, String key, Path dir) {
    String text = s.required(key, "the repository directory, e.g. repository: /backups/tandem");
    if (text == null) {
      return null;
    }
    if (text.contains("://")) {
      s.problem(key, "'" + text + "': only directory repositories are supported so far (local disk or a mounted NFS/SMB"
          + " share); mount the remote storage and give its path");
      return null;
    }
    if (!text.startsWith("/")) {
      s.problem(key, "'" + text + "' is relative; give the absolute path of the repository directory, e.g. /backups/tandem");
      return null;
    }
    return s.path(key, dir);
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
