package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The state package's versioned encodings, read in place: each starts with its format version byte. */
final class VersionedBytes {

    private VersionedBytes() {
    }

    /**
     * The encoding from the buffer's position to its limit, checked to be at least {@code headerBytes} long and
     * of {@code version}, as a little-endian view positioned after the version byte.
     *
     * @param what how the value is named in the error, e.g. "stored key state"
     * @throws StateFormatException when it is shorter or of another version
     */
    static ByteBuffer open(ByteBuffer bytes, byte version, int headerBytes, String what) {
        int length = bytes.remaining();
        if (length < headerBytes || bytes.get(bytes.position()) != version) {
            throw new StateFormatException(what + " has " + length + " bytes and version "
                    + (length == 0 ? "none" : bytes.get(bytes.position())) + "; this build reads version " + version);
        }
        ByteBuffer buffer = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        return buffer;
    }
}
