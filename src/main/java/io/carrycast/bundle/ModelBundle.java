package io.carrycast.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A model as deployed: the directory, its parsed card and the ONNX graph's bytes. The fingerprint
 * identifies the exact graph, so stored state can say which model wrote it.
 */
public record ModelBundle(Path directory, ModelCard card, byte[] onnxModel, long fingerprint) {

    public static final String MODEL_FILE = "model.onnx";
    public static final String CARD_FILE = "model.json";

    /** Reads and checks the card, and reads the graph. The graph is checked when a runner opens it. */
    public static ModelBundle load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new InvalidModelException(directory + ": model directory does not exist");
        }
        Path modelFile = directory.resolve(MODEL_FILE);
        Path cardFile = directory.resolve(CARD_FILE);
        if (!Files.isRegularFile(cardFile)) {
            throw new InvalidModelException(cardFile + ": model card is missing");
        }
        ModelCard card = ModelCardParser.parse(cardFile);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(modelFile);
        } catch (IOException e) {
            throw new InvalidModelException(modelFile + ": cannot be read: " + e, e);
        }
        return new ModelBundle(directory, card, bytes, fingerprintOf(bytes));
    }

    public Path modelFile() {
        return directory.resolve(MODEL_FILE);
    }

    public String fingerprintHex() {
        return HexFormat.of().toHexDigits(fingerprint);
    }

    private static long fingerprintOf(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            long value = 0;
            for (int i = 0; i < Long.BYTES; i++) {
                value = (value << 8) | (digest[i] & 0xFF);
            }
            return value;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
