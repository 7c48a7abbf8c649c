package io.carrycast.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RouteRuleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static boolean takes(RouteRule rule, String key, String event) throws Exception {
        JsonNode value = rule.field() == null ? null : JSON.readTree(event).get(rule.field());
        return rule.matches(key, value);
    }

    @Test
    void shouldTakeANumericFieldEqualToANumericValueAsANumber() throws Exception {
        RouteRule zone = RouteRule.parse("field:zone=3");
        assertTrue(takes(zone, "k", "{\"zone\":3}"));
        assertTrue(takes(zone, "k", "{\"zone\":3.0}"));
        assertTrue(takes(zone, "k", "{\"zone\":\"3\"}"), "a string is compared as written");
        assertFalse(takes(zone, "k", "{\"zone\":\"3.0\"}"));
        assertFalse(takes(zone, "k", "{\"zone\":4}"));
        assertFalse(takes(zone, "k", "{\"zone\":null}"));
        assertFalse(takes(zone, "k", "{}"));
    }

    @Test
    void shouldTakeNoNumericFieldWhenTheValueIsNotANumber() throws Exception {
        RouteRule segment = RouteRule.parse("field:segment=north");
        assertTrue(takes(segment, "k", "{\"segment\":\"north\"}"));
        assertFalse(takes(segment, "k", "{\"segment\":3}"));
        assertFalse(takes(RouteRule.parse("field:segment=NaN"), "k", "{\"segment\":1e400}"),
                "no number equals a value read as NaN");
    }

    @Test
    void shouldMatchKeysByPrefixAndByWholeExpression() throws Exception {
        RouteRule odd = RouteRule.parse("key-regex:key-[0-9]*[13579]");
        assertTrue(odd.matches("key-41", null));
        assertFalse(odd.matches("key-42", null));
        assertFalse(odd.matches("xkey-41", null), "the whole key, not a part of it");
        assertTrue(odd.matches("key-7", null));
        RouteRule plant = RouteRule.parse("key-prefix:plant-");
        assertTrue(takes(plant, "plant-7", "{}"));
        assertFalse(takes(plant, "pump-7", "{}"));
    }
}
