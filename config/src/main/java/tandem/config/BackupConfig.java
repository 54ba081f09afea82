package tandem.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One entry of {@code backups:}: what to back up, when, where, and how long to keep it.
 *
 * @param name the backup's name (the key under {@code backups:})
 * @param schedule a 5-field cron expression (minute hour day-of-month month day-of-week); the
 *     shorthands hourly, daily, weekly and monthly are turned into one
 * @param groups the groups whose files resources (and later databases) are backed up
 * @param repository the repository directory
 * @param passwordFile the file holding the repository's password
 * @param keep the retention rules applied by forget
 * @param runOn which node takes the backup
 * @param copyTo further repositories each snapshot is copied to
 */
public record BackupConfig(String name, String schedule, List<String> groups, Path repository, Path passwordFile,
    Keep keep, RunOn runOn, List<Path> copyTo) {
  public BackupConfig {
    groups = List.copyOf(groups);
    copyTo = List.copyOf(copyTo);
  }

  /** Where a scheduled backup runs: on the group's primary, or on a replica to spare the primary. */
  public enum RunOn {
    PRIMARY,
    REPLICA
  }

  /** restic's keep rules; 0 = rule not used, -1 = every period. */
  public record Keep(int last, int hourly, int daily, int weekly, int monthly, int yearly) {
    public boolean empty() {
      return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0;
    }
  }
}
