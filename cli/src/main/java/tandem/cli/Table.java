package tandem.cli;

import java.util.List;

/** A plain-text table with a header row, like patronictl's. */
final class Table {
  private Table() {}

  static String render(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sep = new StringBuilder("+");
    for (int x : w) {
      sep.append("-".repeat(x + 2)).append("+");
    }
    StringBuilder out = new StringBuilder(sep).append("\n");
    for (int j = 0; j < rows.size(); j++) {
      out.append("|");
      for (int i = 0; i < cols; i++) {
        out.append(" ").append(rows.get(j)[i]).append(" ".repeat(w[i] - rows.get(j)[i].length())).append(" |");
      }
      out.append("\n");
      if (j == 0) {
        out.append(sep).append("\n");
      }
    }
    return out.append(sep).append("\n").toString();
  }
}
