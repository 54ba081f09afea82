package tandem.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DidYouMeanTest {
  private static final List<String> KEYS = List.of("lease", "renew-interval", "promote-margin");

  @Test
  void keyWithinTwoEdits_isSuggested() {
    assertThat(DidYouMean.closest("leas", KEYS)).contains("lease");
    assertThat(DidYouMean.closest("lesae", KEYS)).contains("lease");
    assertThat(DidYouMean.closest("promote-margn", KEYS)).contains("promote-margin");
  }

  @Test
  void keyThreeEditsAway_isNotSuggested() {
    assertThat(DidYouMean.closest("lxxxe", KEYS)).isEmpty();
  }

  @Test
  void camelAndSnakeCase_mapToKebabCase() {
    assertThat(DidYouMean.closest("promoteMarginValue", KEYS)).isEmpty();
    assertThat(DidYouMean.closest("promote_margin", KEYS)).contains("promote-margin");
    assertThat(DidYouMean.kebab("renewInterval")).isEqualTo("renew-interval");
  }

  @Test
  void swappedLetters_countAsOneEdit() {
    assertThat(DidYouMean.distance("lisetn", "listen")).isEqualTo(1);
  }
}
