package io.carrycast.backtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.CarrycastException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Events from a file: CSV with a header row (RFC 4180 quoting; cells that parse as numbers become JSON
 * numbers) or JSON lines (one object per line). The file name's ending picks the format.
 */
public final class EventFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EventFile() {
    }

    public static List<ObjectNode> read(Path file) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")
                    ? readCsv(reader, file) : readJsonLines(reader, file);
        } catch (IOException e) {
            throw new CarrycastException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    private static List<ObjectNode> readJsonLines(BufferedReader reader, Path file) throws IOException {
        List<ObjectNode> events = new ArrayList<>();
        String line;
        for (int number = 1; (line = reader.readLine()) != null; number++) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            if (!node.isObject()) {
                throw new CarrycastException(file + ": line " + number + " is not a JSON object");
            }
            events.add((ObjectNode) node);
        }
        return events;
    }

    private static List<ObjectNode> readCsv(Reader reader, Path file) throws IOException {
        List<List<String>> rows = CsvParser.parse(reader);
        if (rows.isEmpty()) {
            throw new CarrycastException(file + ": CSV file has no header row");
        }
        List<String> header = rows.get(0);
        List<ObjectNode> events = new ArrayList<>(rows.size() - 1);
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.get(0).isEmpty()) {
                continue;
            }
            if (row.size() != header.size()) {
                throw new CarrycastException(file + ": CSV row " + (r + 1) + " has " + row.size()
                        + " cells, the header has " + header.size());
            }
            ObjectNode event = JSON.createObjectNode();
            for (int c = 0; c < header.size(); c++) {
                putCell(event, header.get(c), row.get(c));
            }
            events.add(event);
        }
        return events;
    }

    private static void putCell(ObjectNode event, String name, String cell) {
        if (cell.isEmpty()) {
            event.putNull(name);
            return;
        }
        try {
            event.put(name, Double.parseDouble(cell));
        } catch (NumberFormatException notANumber) {
            event.put(name, cell);
        }
    }

    /** RFC 4180: comma-separated, double-quoted cells may hold commas, quotes ("") and line breaks. */
    static final class CsvParser {
        private CsvParser() {
        }

        static List<List<String>> parse(Reader reader) throws IOException {
            List<List<String>> rows = new ArrayList<>();
            List<String> row = new ArrayList<>();
            StringBuilder cell = new StringBuilder();
            boolean quoted = false;
            int c;
            while ((c = reader.read()) != -1) {
                char ch = (char) c;
                if (quoted) {
                    if (ch != '"') {
                        cell.append(ch);
                        continue;
                    }
                    reader.mark(1);
                    if (reader.read() == '"') {
                        cell.append('"');
                    } else {
                        reader.reset();
                        quoted = false;
                    }
                } else if (ch == '"') {
                    quoted = true;
                } else if (ch == ',') {
                    row.add(cell.toString());
                    cell.setLength(0);
                } else if (ch == '\n') {
                    row.add(stripCarriageReturn(cell));
                    rows.add(row);
                    row = new ArrayList<>();
                    cell.setLength(0);
                } else {
                    cell.append(ch);
                }
            }
            if (cell.length() > 0 || !row.isEmpty()) {
                row.add(stripCarriageReturn(cell));
                rows.add(row);
            }
            return rows;
        }

        private static String stripCarriageReturn(StringBuilder cell) {
            int end = cell.length();
            return end > 0 && cell.charAt(end - 1) == '\r' ? cell.substring(0, end - 1) : cell.toString();
        }
    }
}
