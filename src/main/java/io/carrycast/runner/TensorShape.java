package io.carrycast.runner;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A graph tensor's declared shape; -1 marks a dimension fixed only at run time (printed as '?'). */
record TensorShape(long[] dims) {

    static final long DYNAMIC = -1;

    int rank() {
        return dims.length;
    }

    /** Whether a run-time size {@code expected} fits this dimension. */
    boolean accepts(int axis, long expected) {
        return dims[axis] < 0 || dims[axis] == expected;
    }

    boolean sameAs(TensorShape other) {
        return Arrays.equals(dims, other.dims);
    }

    static String describe(long... dims) {
        return Arrays.stream(dims).mapToObj(d -> d < 0 ? "?" : Long.toString(d))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    @Override
    public String toString() {
        return describe(dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorShape other && sameAs(other);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }
}
