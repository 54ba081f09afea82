package tandem.health.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import tandem.health.CheckOutcome;
import tandem.health.HealthCheck;

/**
 * A check that a process is alive: either the one whose pid a pidfile holds, or any process with
 * a given name. The name matches like {@code pgrep -x}: the kernel's {@code /proc/<pid>/comm}
 * (cut to 15 characters), or else the base name of the process's executable.
 */
public final class ProcessCheck implements HealthCheck {
  private static final Path PROC = Path.of("/proc");

  private final Optional<Path> pidfile;
  private final Optional<String> name;

  public ProcessCheck(Optional<Path> pidfile, Optional<String> name) {
    if (pidfile.isPresent() == name.isPresent()) {
      throw new IllegalArgumentException(
          "a process check needs exactly one of pidfile and name, got pidfile=" + pidfile + ", name=" + name);
    }
    this.pidfile = pidfile;
    this.name = name;
  }

  @Override
  public String describe() {
    return pidfile.map(p -> "process from pidfile " + p).orElseGet(() -> "process named '" + name.orElseThrow() + "'");
  }

  @Override
  public CheckOutcome run(Duration timeout) {
    return pidfile.map(ProcessCheck::byPidfile).orElseGet(() -> byName(name.orElseThrow()));
  }

  private static CheckOutcome byPidfile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      return CheckOutcome.fail("pidfile " + file + " does not exist");
    } catch (IOException e) {
      return CheckOutcome.fail("cannot read pidfile " + file + ": " + e);
    }
    return byPid(file, text);
  }

  private static CheckOutcome byPid(Path file, String text) {
    long pid;
    try {
      pid = Long.parseLong(text);
    } catch (NumberFormatException e) {
      return CheckOutcome.fail("pidfile " + file + " holds '" + abbreviate(text) + "', not a pid");
    }
    boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    return alive
        ? CheckOutcome.pass("pid " + pid + " from " + file + " is running")
        : CheckOutcome.fail("pid " + pid + " from " + file + " is not running");
  }

  private static CheckOutcome byName(String wanted) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.isAlive() && isNamed(p, wanted))
        .findFirst()
        .map(p -> CheckOutcome.pass("process '" + wanted + "' is running (pid " + p.pid() + ")"))
        .orElseGet(() -> CheckOutcome.fail("no process named '" + wanted + "' is running"));
  }

  private static boolean isNamed(ProcessHandle process, String wanted) {
    return wanted.equals(comm(process.pid()))
        || process.info().command().map(ProcessCheck::baseName).filter(wanted::equals).isPresent();
  }

  private static String comm(long pid) {
    try {
      return Files.readString(PROC.resolve(Long.toString(pid)).resolve("comm"), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return ""; // the process exited while we looked, or this is not Linux
    }
  }

  private static String baseName(String command) {
    return command.substring(command.lastIndexOf('/') + 1);
  }

  private static String abbreviate(String text) {
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }
}
