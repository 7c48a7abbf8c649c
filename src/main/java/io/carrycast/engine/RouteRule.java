package io.carrycast.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How one route recognises its keys, as written in {@code carrycast.route.<name>.match}:
 * <ul>
 *   <li>{@code key-prefix:<prefix>}: the record key starts with the prefix;</li>
 *   <li>{@code key-regex:<regular expression>}: the whole record key matches (Java syntax);</li>
 *   <li>{@code field:<field>=<value>}: the event's field holds the value (a string equal to it, or a number equal
 *       to it read as a number).</li>
 * </ul>
 * A field rule is judged on every event, so a key whose field changes moves to another route.
 */
public final class RouteRule {

    /** The forms {@link #parse} accepts, for error messages. */
    public static final String FORMS = "key-prefix:<prefix>, key-regex:<regular expression> or field:<field>=<value>";

    private enum Kind { KEY_PREFIX, KEY_REGEX, FIELD }

    private final Kind kind;
    private final String text;
    private final String prefix;
    private final Pattern pattern;
    private final String field;
    private final String value;
    /** A field rule's value read as a number, which a numeric field must equal; NaN when it is not a number. */
    private final double numericValue;

    private RouteRule(Kind kind, String text, String prefix, Pattern pattern, String field, String value) {
        this.kind = kind;
        this.text = text;
        this.prefix = prefix;
        this.pattern = pattern;
        this.field = field;
        this.value = value;
        this.numericValue = value == null ? Double.NaN : asNumber(value);
    }

    private static double asNumber(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException notANumber) {
            return Double.NaN;
        }
    }

    /**
     * Reads a rule.
     *
     * @throws IllegalArgumentException naming the rule and what is wrong with it
     */
    public static RouteRule parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("is empty; a match is " + FORMS);
        }
        String rule = text.strip();
        if (rule.startsWith("key-prefix:")) {
            String prefix = rule.substring("key-prefix:".length());
            if (prefix.isEmpty()) {
                throw new IllegalArgumentException("has an empty prefix, which every key would match; use a default "
                        + "route (carrycast.model.dir) for that");
            }
            return new RouteRule(Kind.KEY_PREFIX, rule, prefix, null, null, null);
        }
        if (rule.startsWith("key-regex:")) {
            String regex = rule.substring("key-regex:".length());
            try {
                return new RouteRule(Kind.KEY_REGEX, rule, null, Pattern.compile(regex), null, null);
            } catch (PatternSyntaxException bad) {
                throw new IllegalArgumentException("is not a valid regular expression: " + bad.getDescription()
                        + " near index " + bad.getIndex());
            }
        }
        if (rule.startsWith("field:")) {
            String test = rule.substring("field:".length());
            int equals = test.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("needs field:<field>=<value>, e.g. field:segment=retail");
            }
            return new RouteRule(Kind.FIELD, rule, null, null, test.substring(0, equals).strip(),
                    test.substring(equals + 1).strip());
        }
        throw new IllegalArgumentException("is not a rule; a match is " + FORMS);
    }

    /** The event field this rule reads, or null when it judges the key alone. */
    public String field() {
        return field;
    }

    /** Whether the rule judges the key by a regular expression, the costliest rule to try. */
    public boolean isRegularExpression() {
        return kind == Kind.KEY_REGEX;
    }

    /**
     * Whether the rule takes the event.
     *
     * @param fieldValue the value of {@link #field()} in the event, or null when the event lacks it (or the rule
     *                   reads no field)
     */
    public boolean matches(String key, JsonNode fieldValue) {
        return switch (kind) {
            case KEY_PREFIX -> key.startsWith(prefix);
            case KEY_REGEX -> pattern.matcher(key).matches();
            case FIELD -> fieldMatches(fieldValue);
        };
    }

    private boolean fieldMatches(JsonNode actual) {
        if (actual == null || actual.isNull()) {
            return false;
        }
        if (actual.isNumber()) {
            // NaN equals nothing: a rule whose value is not a number takes no numeric field.
            return actual.doubleValue() == numericValue;
        }
        return actual.isValueNode() && actual.asText().equals(value);
    }

    @Override
    public String toString() {
        return text;
    }
}
