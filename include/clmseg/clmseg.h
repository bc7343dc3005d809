/*
 * clmseg/clmseg.h — umbrella header of libclmseg.
 *
 * clmseg is a batch engine for telecom customer-lifecycle analytics: it
 * reads a quarter's columnar subscriber table from HDF5, segments,
 * trains trees, estimates survival and lifetime value, and writes results.
 * Each capability has its own header; this one includes them all.
 */
#ifndef CLMSEG_CLMSEG_H
#define CLMSEG_CLMSEG_H

#include "clmseg/export.h"
#include "clmseg/version.h"
#include "clmseg/status.h"
#include "clmseg/kernels.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"
#include "clmseg/textfile.h"
#include "clmseg/synth.h"
#include "clmseg/import.h"
#include "clmseg/equity.h"
#include "clmseg/cox.h"
#include "clmseg/kmeans.h"
#include "clmseg/survival.h"
#include "clmseg/tree.h"
#include "clmseg/tiers.h"
#include "clmseg/stages.h"
#include "clmseg/health.h"
#include "clmseg/lifecycle.h"
#include "clmseg/run.h"

#endif /* CLMSEG_CLMSEG_H */
