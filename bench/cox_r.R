# cox_r.R — R's survival::coxph on a generated quarter, for bench_cox.
#   Rscript bench/cox_r.R quarter.h5 out.txt
# Reads the covariates with hdf5r, fits coxph with Efron ties (as clmseg's
# default) and writes the seconds of coxph alone, then one line per
# coefficient: clmseg's term name, a tab, the coefficient.
suppressMessages({library(survival); library(hdf5r)})
args <- commandArgs(trailingOnly = TRUE)
f <- H5File$new(args[1], mode = "r")
g <- f[["subscribers"]]
cols <- c("suspensions", "suspension_days", "plan_downgrades", "complaints", "service_calls",
          "payment_delay_days", "offnet_forward_minutes", "dropped_calls", "contacts_now",
          "contacts_prev", "voice_minutes", "data_mb", "sms_count", "topups", "device_age_months",
          "arpu", "arpu_prev")
d <- data.frame(lapply(setNames(cols, cols), function(c) as.numeric(g[[c]][])))
d$tenure <- as.numeric(g[["tenure_months"]][])
d$churned <- as.integer(g[["churned"]][])
plan_codes <- g[["plan"]][]
plan_levels <- h5attr(g[["plan"]], "categories")
# reference level: the most frequent, as clmseg chooses it
tab <- tabulate(plan_codes + 1, length(plan_levels))
ord <- order(-tab, seq_along(tab))
d$plan <- factor(plan_levels[plan_codes + 1], levels = plan_levels[ord])
f$close_all()
form <- as.formula(paste("Surv(tenure, churned) ~", paste(c(cols, "plan"), collapse = " + ")))
t <- system.time(fit <- coxph(form, data = d, ties = "efron"))[["elapsed"]]
b <- coef(fit)
names(b) <- sub("^plan(.+)$", "plan=\\1", names(b))
out <- file(args[2], "w")
cat(sprintf("%.4f\n", t), file = out)
for (j in seq_along(b)) cat(sprintf("%s\t%.17g\n", names(b)[j], b[j]), file = out)
close(out)
