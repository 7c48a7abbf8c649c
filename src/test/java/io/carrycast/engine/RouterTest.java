package io.carrycast.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the stream passes when the rules read no field. */
    private static final EventReader.Values NO_FIELDS = null;

    private static Router.Route route(String name, String rule) {
        return new Router.Route(name, RouteRule.parse(rule));
    }

    /** The route each key must get: odd numbers to "odd", numbers ending in 0 to "tens", plant keys to "plant". */
    private static int expected(String key) {
        if (key.startsWith("plant-")) {
            return 2;
        }
        int last = key.charAt(key.length() - 1) - '0';
        return last % 2 == 1 ? 0 : last == 0 ? 1 : 3;
    }

    @Test
    void shouldChooseTheSameRoutesForMoreKeysThanItRemembers() {
        Router router = new Router(List.of(route("odd", "key-regex:key-[0-9]*[13579]"),
                route("tens", "key-regex:key-[0-9]*0"), route("plant", "key-prefix:plant-")), true);
        Router.Chooser chooser = router.chooser();
        int keys = Router.KEYS_REMEMBERED + 5_000;
        // Twice over every key: the second pass reads remembered routes for the first keys and judges the rest.
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < keys; k++) {
                String key = (k % 7 == 0 ? "plant-" : "key-") + k;
                assertEquals(expected(key), chooser.choose(key, NO_FIELDS),
                        "pass " + pass + ", key " + key);
            }
        }
        assertEquals(Router.DEFAULT_ROUTE, router.routes().get(3).name());
    }

    @Test
    void shouldRefuseAKeyNoRouteTakesOnEveryEventItArrives() {
        Router router = new Router(List.of(route("odd", "key-regex:key-[0-9]*[13579]")), false);
        Router.Chooser chooser = router.chooser();
        for (int event = 0; event < 3; event++) {
            InvalidEventException refused = assertThrows(InvalidEventException.class,
                    () -> chooser.choose("key-42", NO_FIELDS));
            assertEquals(Reason.NO_ROUTE, refused.reason());
            assertEquals(0, chooser.choose("key-41", NO_FIELDS));
        }
        InvalidEventException noKey = assertThrows(InvalidEventException.class,
                () -> chooser.choose(null, NO_FIELDS));
        assertEquals(Reason.NO_KEY, noKey.reason());
    }

    @Test
    void shouldFollowAKeysFieldFromEventToEvent() throws Exception {
        Router router = new Router(List.of(route("north", "field:segment=north"),
                route("odd", "key-regex:key-[0-9]*[13579]")), true);
        Router.Chooser chooser = router.chooser();
        assertEquals(0, chooser.choose("key-41", (ObjectNode) JSON.readTree("{\"segment\":\"north\"}")));
        assertEquals(1, chooser.choose("key-41", (ObjectNode) JSON.readTree("{\"segment\":\"south\"}")));
        assertEquals(0, chooser.choose("key-41", (ObjectNode) JSON.readTree("{\"segment\":\"north\"}")));
        assertEquals(2, chooser.choose("key-42", (ObjectNode) JSON.readTree("{}")));
    }
}
