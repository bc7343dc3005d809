# make_golden.R — the reference figures of test_cox_r.c, from R's survival
# package: coefficients, standard errors, log-likelihoods, concordance and
# basehaz(fit, centered = FALSE) of coxph, for the telco sample and a small
# hand case, Efron and Breslow ties, with and without strata.
#   Rscript tests/cox/make_golden.R datasets/telco_churn.csv tests/cox/hand.csv > tests/cox/golden_cox.txt
# Newton is run to eps = 1e-12 so the reference is the optimum itself, not
# R's default stopping point (1e-9), and factor levels are set so that the
# reference level is the most frequent one, as clmseg chooses it.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
telco <- read.csv(args[1], stringsAsFactors = FALSE)
hand <- read.csv(args[2], stringsAsFactors = FALSE)
most_frequent_first <- function(v) {
  tab <- table(v)
  # ties: the level that appears first in the data, as clmseg's codes
  first <- match(names(tab), v)
  lev <- names(tab)[order(-as.integer(tab), first)]
  factor(v, levels = lev)
}
for (col in c("contract", "payment_method", "internet_service"))
  telco[[col]] <- most_frequent_first(telco[[col]])
telco$event <- as.integer(telco$churn == "Yes")
hand$g <- most_frequent_first(hand$g)
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-14)

emit <- function(name, fit) {
  cat("case", name, "\n")
  b <- coef(fit); s <- sqrt(diag(vcov(fit)))
  # clmseg's names: a numeric covariate by its column, an indicator as
  # column=level
  terms <- names(b)
  for (col in c("contract", "payment_method", "internet_service", "g"))
    terms <- sub(paste0("^", col, "(.+)$"), paste0(col, "=\\1"), terms)
  for (j in seq_along(b)) cat(sprintf("coef\t%s\t%.17g\t%.17g\n", terms[j], b[j], s[j]))
  cat(sprintf("loglik\t%.17g\t%.17g\n", fit$loglik[1], fit$loglik[2]))
  cat(sprintf("concordance\t%.17g\n", fit$concordance["concordance"]))
  cat(sprintf("tests\t%.17g\t%.17g\t%.17g\n", 2 * diff(fit$loglik), fit$wald.test, fit$score))
  bh <- basehaz(fit, centered = FALSE)
  st <- if (is.null(bh$strata)) rep("all", nrow(bh)) else sub("^.*=", "", as.character(bh$strata))
  for (i in seq_len(nrow(bh))) cat(sprintf("basehaz\t%s\t%.17g\t%.17g\n", st[i], bh$time[i], bh$hazard[i]))
  cat("end\n")
}
f_telco <- Surv(tenure, event) ~ contract + monthly_charges + payment_method + internet_service + senior_citizen
f_strat <- Surv(tenure, event) ~ contract + monthly_charges + payment_method + senior_citizen + strata(internet_service)
f_hand <- Surv(time, event) ~ x + g
f_hand_s <- Surv(time, event) ~ x + strata(grp)
for (ties in c("efron", "breslow")) {
  emit(paste0("telco_", ties), coxph(f_telco, data = telco, ties = ties, control = ctl))
  emit(paste0("telco_strata_", ties), coxph(f_strat, data = telco, ties = ties, control = ctl))
  emit(paste0("hand_", ties), coxph(f_hand, data = hand, ties = ties, control = ctl))
  emit(paste0("hand_strata_", ties), coxph(f_hand_s, data = hand, ties = ties, control = ctl))
}
