package tandem.health.internal;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import tandem.config.CheckTarget;
import tandem.core.Durations;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;

/** A check that the file system holding a path has enough free space, in bytes, percent or both. */
public final class DiskCheck implements HealthCheck {
  private final CheckTarget.Disk disk;

  public DiskCheck(CheckTarget.Disk disk) {
    this.disk = disk;
  }

  @Override
  public String describe() {
    return "disk " + disk.path() + " needs " + minimum() + " free";
  }

  @Override
  public CheckOutcome run(Duration timeout) throws InterruptedException {
    try {
      return judge(Timeouts.call(this::measure, timeout));
    } catch (TimeoutException e) {
      String within = Durations.format(timeout);
      return CheckOutcome.fail("no answer from the file system of " + disk.path() + " within " + within);
    } catch (ExecutionException e) {
      return CheckOutcome.fail(why(e.getCause()));
    }
  }

  /** Free and total bytes of one file system at one moment. */
  private record Space(long usable, long total) {
    int percentFree() {
      return total <= 0 ? 0 : (int) (usable * 100 / total);
    }
  }

  private Space measure() throws IOException {
    FileStore store = Files.getFileStore(disk.path());
    return new Space(store.getUsableSpace(), store.getTotalSpace());
  }

  private CheckOutcome judge(Space space) {
    String seen = ByteSize.format(space.usable()) + " free (" + space.percentFree() + "%) on " + disk.path();
    boolean enoughBytes = disk.minFreeBytes() <= 0 || space.usable() >= disk.minFreeBytes();
    boolean enoughPercent = disk.minFreePercent() <= 0 || space.percentFree() >= disk.minFreePercent();
    return enoughBytes && enoughPercent
        ? CheckOutcome.pass(seen)
        : CheckOutcome.fail(seen + ", below the minimum of " + minimum());
  }

  private String minimum() {
    String bytes = disk.minFreeBytes() > 0 ? ByteSize.format(disk.minFreeBytes()) : "";
    String percent = disk.minFreePercent() > 0 ? disk.minFreePercent() + "%" : "";
    return bytes.isEmpty() || percent.isEmpty() ? bytes + percent : bytes + " and " + percent;
  }

  private String why(Throwable cause) {
    return cause instanceof NoSuchFileException
        ? disk.path() + " does not exist"
        : "cannot read free space of " + disk.path() + ": " + cause;
  }
}
