# make_golden.R — reference figures for tests/survival from R's survival
# package (survfit, survdiff).  Rebuild (from the repository root) with:
#
#   Rscript tests/survival/golden/make_golden.R datasets/telco_churn.csv tests/survival/golden
#
# Inputs: the telco sample (time = tenure, event = churn == "Yes", strata =
# contract, ARPU = monthly_charges) and the hand cases hand.csv (integer
# months) and hand_cont.csv (continuous times) in this folder.
# Outputs, for each data set NAME (telco, hand, hand_cont):
#   NAME_curves.csv   per stratum and "all": time, n.risk, n.event, n.censor,
#                     surv, std.err, bands (log, log-log, plain), cumhaz
#   NAME_summary.csv  per stratum: n, events, median + CI for each conf type,
#                     RMST to the horizon, S at 6/12/24/36 (NA past the last
#                     observed time)
#   NAME_ltv.csv      LTV(h), h = 0..H, from summary(fit, times=1:H, extend=TRUE)
#   NAME_logrank.csv  survdiff chi-square, df, p
# Every number is printed with 17 significant digits.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
telco_csv <- if (length(args) >= 1) args[1] else "datasets/telco_churn.csv"
outdir <- if (length(args) >= 2) args[2] else "tests/survival/golden"
here <- outdir

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_tidy <- function(df, path) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- fmt(df[[n]])
  write.csv(df, path, row.names = FALSE, quote = TRUE)
}

fit_all <- function(d, conf) {
  list(strata = survfit(Surv(time, event) ~ stratum, data = d, conf.type = conf),
       all = survfit(Surv(time, event) ~ 1, data = d, conf.type = conf))
}

curve_rows <- function(f, label) {
  data.frame(stratum = label, time = f$time, n_risk = f$n.risk,
             n_event = f$n.event, n_censor = f$n.censor, surv = f$surv,
             std_err = f$std.err, lower = f$lower, upper = f$upper,
             cumhaz = f$cumhaz, stringsAsFactors = FALSE)
}

# Split a stratified survfit into one-stratum fits (names as "stratum=X").
pieces <- function(fit) {
  labels <- sub("^stratum=", "", names(fit$strata))
  out <- list()
  for (i in seq_along(labels)) out[[labels[i]]] <- fit[i]
  out
}

run <- function(name, d, horizon, margin, discount, at = c(6, 12, 24, 36)) {
  fits <- lapply(c("log", "log-log", "plain"), function(ct) fit_all(d, ct))
  names(fits) <- c("log", "loglog", "plain")
  all_pieces <- lapply(fits, function(f) c(pieces(f$strata), list(all = f$all)))
  labels <- names(all_pieces$log)
  curves <- NULL
  summ <- NULL
  ltv <- NULL
  for (lab in labels) {
    f <- all_pieces$log[[lab]]
    cr <- curve_rows(f, lab)
    cr$lower_loglog <- all_pieces$loglog[[lab]]$lower
    cr$upper_loglog <- all_pieces$loglog[[lab]]$upper
    cr$lower_plain <- all_pieces$plain[[lab]]$lower
    cr$upper_plain <- all_pieces$plain[[lab]]$upper
    curves <- rbind(curves, cr)
    tab <- function(ct) summary(all_pieces[[ct]][[lab]], rmean = horizon)$table
    tl <- tab("log"); tll <- tab("loglog"); tp <- tab("plain")
    sub_d <- if (lab == "all") d else d[d$stratum == lab, ]
    s_at <- sapply(at, function(a) if (a > max(f$time)) NA else
                   summary(f, times = a)$surv)
    row <- data.frame(stratum = lab, n = tl[["records"]], events = tl[["events"]],
                      median = tl[["median"]], lcl = tl[["0.95LCL"]], ucl = tl[["0.95UCL"]],
                      median_loglog = tll[["median"]], lcl_loglog = tll[["0.95LCL"]],
                      ucl_loglog = tll[["0.95UCL"]], lcl_plain = tp[["0.95LCL"]],
                      ucl_plain = tp[["0.95UCL"]], rmst = tl[["rmean"]],
                      arpu = mean(sub_d$arpu), stringsAsFactors = FALSE)
    for (k in seq_along(at)) row[[paste0("s", at[k])]] <- s_at[k]
    summ <- rbind(summ, row)
    s_month <- summary(f, times = 1:horizon, extend = TRUE)$surv
    disc <- (1 + discount)^((1:horizon) / 12)
    ltv <- rbind(ltv, data.frame(stratum = lab, month = 0:horizon,
                 ltv = c(0, cumsum(s_month * mean(sub_d$arpu) * margin / disc)),
                 stringsAsFactors = FALSE))
  }
  lr <- survdiff(Surv(time, event) ~ stratum, data = d)
  logrank <- data.frame(chisq = lr$chisq, df = length(lr$n) - 1,
                        p = pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE))
  write_tidy(curves, file.path(outdir, paste0(name, "_curves.csv")))
  write_tidy(summ, file.path(outdir, paste0(name, "_summary.csv")))
  write_tidy(ltv, file.path(outdir, paste0(name, "_ltv.csv")))
  write_tidy(logrank, file.path(outdir, paste0(name, "_logrank.csv")))
}

telco <- read.csv(telco_csv, stringsAsFactors = FALSE)
telco_d <- data.frame(time = telco$tenure, event = as.integer(telco$churn == "Yes"),
                      stratum = telco$contract, arpu = telco$monthly_charges,
                      stringsAsFactors = FALSE)
run("telco", telco_d, horizon = 60, margin = 0.3, discount = 0.1)

hand <- read.csv(file.path(here, "hand.csv"), stringsAsFactors = FALSE)
names(hand)[names(hand) == "case"] <- "stratum"
run("hand", hand, horizon = 12, margin = 1, discount = 0.05)

hc <- read.csv(file.path(here, "hand_cont.csv"), stringsAsFactors = FALSE)
names(hc)[names(hc) == "case"] <- "stratum"
run("hand_cont", hc, horizon = 5, margin = 0.5, discount = 0)
