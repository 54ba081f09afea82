package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class MinFreeTest {

  @Test
  void decimalAndBinaryUnits_areTold() {
    assertThat(MinFree.parse("500MB")).isEqualTo(new MinFree(500_000_000L, 0));
    assertThat(MinFree.parse("1GiB")).isEqualTo(new MinFree(1L << 30, 0));
    assertThat(MinFree.parse("1.5 KiB")).isEqualTo(new MinFree(1536, 0));
    assertThat(MinFree.parse("2TiB")).isEqualTo(new MinFree(2L << 40, 0));
    assertThat(MinFree.parse("10B")).isEqualTo(new MinFree(10, 0));
  }

  @Test
  void percentage_isKeptApartFromBytes() {
    assertThat(MinFree.parse("10%")).isEqualTo(new MinFree(0, 10));
  }

  @Test
  void percentageOutOfRange_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> MinFree.parse("100%"))
        .withMessage("'100%' is out of range: use a percentage from 1% to 99%");
  }

  @Test
  void numberWithoutUnit_asksForAUnit() {
    assertThatIllegalArgumentException().isThrownBy(() -> MinFree.parse("1024"))
        .withMessage("'1024' has no unit: write e.g. 500MB, 1GiB or 10%");
  }

  @Test
  void unknownUnit_showsTheForms() {
    assertThatIllegalArgumentException().isThrownBy(() -> MinFree.parse("1 gallon"))
        .withMessage("'1 gallon' is not a size: write e.g. 500MB, 1GiB or 10%");
  }

  @Test
  void zeroOrOverflow_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> MinFree.parse("0GB")).withMessageContaining("above 0");
    assertThatIllegalArgumentException().isThrownBy(() -> MinFree.parse("99999999TiB"))
        .withMessageContaining("too large");
  }
}
