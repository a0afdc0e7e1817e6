#ifndef COUPON_WORKER_CRDKAFKA_SHIM_H
#define COUPON_WORKER_CRDKAFKA_SHIM_H
// Debian's librdkafka-dev (2.0.2). rdkafka_mock.h is the in-process mock cluster used by
// tests, `dev-kafka` and `demo`.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
