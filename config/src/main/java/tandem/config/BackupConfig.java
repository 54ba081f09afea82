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
 * @param repository where the repository is: a directory or an S3 bucket (see {@link RepositoryLocation})
 * @param passwordFile the file holding the repository's password
 * @param keep the retention rules applied by forget
 * @param runOn which node takes the backup
 * @param copyTo further repositories each snapshot is copied to
 * @param pitr PostgreSQL point-in-time recovery: each snapshot holds a base backup (pg_basebackup)
 *     of the groups' PostgreSQL, and their WAL is archived into the repository continuously
 * @param s3CredentialsFile the file with the access keys for the S3 locations (AWS shared
 *     credentials format), or null to take them from the AWS environment (variables, ~/.aws)
 */
public record BackupConfig(String name, String schedule, List<String> groups, RepositoryLocation repository,
    Path passwordFile, Keep keep, RunOn runOn, List<RepositoryLocation> copyTo, boolean pitr, Path s3CredentialsFile) {
  public BackupConfig {
    groups = List.copyOf(groups);
    copyTo = List.copyOf(copyTo);
  }

  /** A backup to and between directories. */
  public BackupConfig(String name, String schedule, List<String> groups, Path repository, Path passwordFile, Keep keep,
      RunOn runOn, List<Path> copyTo, boolean pitr) {
    this(name, schedule, groups, new RepositoryLocation.Directory(repository), passwordFile, keep, runOn,
        copyTo.stream().<RepositoryLocation>map(RepositoryLocation.Directory::new).toList(), pitr, null);
  }

  /** A backup to and between directories, without pitr. */
  public BackupConfig(String name, String schedule, List<String> groups, Path repository, Path passwordFile, Keep keep,
      RunOn runOn, List<Path> copyTo) {
    this(name, schedule, groups, repository, passwordFile, keep, runOn, copyTo, false);
  }

  /** The snapshots' backup name of this backup's archived WAL: never a configured name, which has no '/'. */
  public String walName() {
    return name + "/wal";
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
