package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class HostPortTest {

  @Test
  void ipv4AndNames_parseAndPrintBack() {
    assertThat(HostPort.parse("10.0.0.1:7400")).isEqualTo(new HostPort("10.0.0.1", 7400)).hasToString("10.0.0.1:7400");
    assertThat(HostPort.parse("db-1.lan:80")).isEqualTo(new HostPort("db-1.lan", 80));
  }

  @Test
  void ipv6_isWrittenInBrackets() {
    HostPort hp = HostPort.parse("[fe80::1%eth0]:7400");

    assertThat(hp.host()).isEqualTo("fe80::1%eth0");
    assertThat(hp).hasToString("[fe80::1%eth0]:7400");
    assertThat(new HostPort("::1", 1)).hasToString("[::1]:1");
  }

  @Test
  void missingPort_showsTheExpectedForm() {
    assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("10.0.0.1"))
        .withMessage("'10.0.0.1' is not host:port, e.g. 10.0.0.1:7400");
    assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(":7400"))
        .withMessage("':7400' is not host:port, e.g. 10.0.0.1:7400");
    assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("host:http"))
        .withMessage("'host:http' is not host:port, e.g. 10.0.0.1:7400");
  }

  @Test
  void bareIpv6_asksForBrackets() {
    assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("::1:7400"))
        .withMessageEndingWith("write an IPv6 address in brackets: [::1]:7400");
  }

  @Test
  void portOutOfRange_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("h:0"))
        .withMessage("'h:0' has port 0: use a port from 1 to 65535");
    assertThatIllegalArgumentException().isThrownBy(() -> new HostPort("h", 65536))
        .withMessage("port 65536 is out of range: use a port from 1 to 65535");
  }

  @Test
  void hostWithSpaces_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("my host:80"));
  }
}
