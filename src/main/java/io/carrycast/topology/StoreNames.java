package io.carrycast.topology;

/**
 * The state stores of one forecasting node: the live model's, or the challenger's, which runs beside it on the
 * same events with stores of its own.
 *
 * @param latest the latest-forecast store, served over HTTP (the live model's only)
 */
record StoreNames(String state, String pending, String latest, String bucket, String bucketDue) {

    static final StoreNames LIVE = new StoreNames(ForecastTopology.STATE_STORE, ForecastTopology.PENDING_STORE,
            ForecastTopology.LATEST_STORE, ForecastTopology.BUCKET_STORE, ForecastTopology.BUCKET_DUE_STORE);

    static final StoreNames CHALLENGER = new StoreNames("carrycast-challenger-state", "carrycast-challenger-pending",
            "carrycast-challenger-latest", "carrycast-challenger-bucket", "carrycast-challenger-bucket-due");

    /**
     * The stores of one route: the key-state and latest-forecast stores every route shares, and a micro-batch ring
     * and bucket stores of its own; the default route's are those of a deployment without routes.
     */
    static StoreNames forRoute(String route) {
        if (route.equals(io.carrycast.engine.Router.DEFAULT_ROUTE)) {
            return LIVE;
        }
        return new StoreNames(ForecastTopology.STATE_STORE, ForecastTopology.PENDING_STORE + "-" + route,
                ForecastTopology.LATEST_STORE, ForecastTopology.BUCKET_STORE + "-" + route,
                ForecastTopology.BUCKET_DUE_STORE + "-" + route);
    }
}
