# survival_r.R — the R peer of bench_survival: reads the benchmark's columns
# from raw little-endian files written by bench_survival and times survfit
# alone (reading and building the factor are not timed).
#
#   Rscript bench/survival_r.R DIR N REPEATS
#
# DIR holds time.f64, event.i32, branch.i32 (N values each).  Prints one
# JSON line: seconds (minimum over REPEATS, wall and CPU), the number of strata, and a
# checksum (sum of every stratum's survival values) that bench_survival
# compares with its own.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
n <- as.integer(args[2])
repeats <- if (length(args) >= 3) as.integer(args[3]) else 1L
rd <- function(name, what, size) {
  con <- file(file.path(dir, name), "rb")
  on.exit(close(con))
  readBin(con, what, n = n, size = size, endian = "little")
}
time <- rd("time.f64", "double", 8)
event <- rd("event.i32", "integer", 4)
branch <- factor(rd("branch.i32", "integer", 4))
best <- Inf
best_cpu <- Inf
for (r in seq_len(repeats)) {
  t0 <- proc.time()
  fit <- survfit(Surv(time, event) ~ branch)
  t1 <- proc.time()
  best <- min(best, t1[["elapsed"]] - t0[["elapsed"]])
  best_cpu <- min(best_cpu, t1[["user.self"]] + t1[["sys.self"]] - t0[["user.self"]] - t0[["sys.self"]])
}
cat(sprintf('{"peer":"R survfit(Surv(time, event) ~ branch)","rows":%d,"strata":%d,"seconds":%.4f,"cpu_seconds":%.4f,"surv_checksum":%.12g,"survival_version":"%s"}\n',
            n, length(fit$strata), best, best_cpu, sum(fit$surv), as.character(packageVersion("survival"))))
