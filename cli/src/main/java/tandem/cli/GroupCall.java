package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Shared by the commands that act on one group through the API. */
final class GroupCall {
  private GroupCall() {}

  static JsonNode post(ApiClient api, String group, String action, String query) {
    return api.post("/api/v1/groups/" + URLEncoder.encode(group, StandardCharsets.UTF_8) + "/" + action + query);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
