/*
 * pages.c — the renderer of the branch and segment pages (see
 * pages_internal.h).  Charts: 760 x 320 SVG, months on x from 0 to the
 * company's longest tenure D.M; survival in [0, 1] on y (values in the
 * block are S x 10,000, rounded, and the band's distance from S in the
 * same units); the value chart's y axis runs to the
 * entity's "nice" maximum with its five tick labels given.
 */
#include <stdio.h>

#include "report/pages_internal.h"

static const char *const renderer =
    "(function(){"
    "var D=JSON.parse(document.getElementById('clm-data').textContent),L=D.L;"
    "var main=document.getElementById('main'),page=document.getElementById('page');"
    "var C=['#1f77b4','#7f7f7f','#2ca02c','#ff7f0e','#9467bd','#d62728'];"
    "function e(s){return String(s).replace(/[&<>\"']/g,function(c){return '&#'+c.charCodeAt(0)+';';});}"
    "function kpis(keys,labels,values){var h='<div class=\"kpis\">';for(var i=0;i<values.length;i++)"
    "h+='<div class=\"kpi\" data-k=\"'+keys[i]+'\"><div class=\"l\">'+e(labels[i])+'</div><div class=\"v\">'"
    "+e(values[i])+'</div></div>';return h+'</div>';}"
    "function table(id,head,keys,rows){var h='<table id=\"'+id+'\"><thead><tr>';"
    "head.forEach(function(c){h+='<th>'+e(c)+'</th>';});h+='</tr></thead><tbody>';"
    "rows.forEach(function(r,i){h+='<tr'+(keys?' data-k=\"'+keys[i]+'\"':'')+'>';"
    "r.forEach(function(c){h+='<td>'+e(c)+'</td>';});h+='</tr>';});return h+'</tbody></table>';}"
    "var W=760,H=320,PL=64,PR=180,PT=14,PB=44;"
    "function X(m){return PL+(W-PL-PR)*m/Math.max(D.M,1);}"
    "function Y(v,max){v=v/max;return PT+(H-PT-PB)*(1-(v<0?0:v>1?1:v));}"
    "function f(v){return v.toFixed(1);}"
    /* Step function through the months (null: no point). */
    "function steps(v,sc,max){var p=[];for(var m=0;m<v.length;m++){if(v[m]===null)continue;"
    "var y=Y(v[m]*sc,max);if(p.length)p.push([X(m),p[p.length-1][1]]);p.push([X(m),y]);}return p;}"
    "function d(p){return p.map(function(q,i){return (i?'L':'M')+f(q[0])+' '+f(q[1]);}).join('');}"
    /* A line through the months with data; a gap breaks it. */
    "function line(v,sc,max){var s='',on=0;for(var m=0;m<v.length;m++){if(v[m]===null||sc[m]===null){on=0;continue;}"
    "s+=(on?'L':'M')+f(X(m))+' '+f(Y(v[m]*sc[m],max));on=1;}return s;}"
    "function frame(ticks,max,title){var h='<svg viewBox=\"0 0 '+W+' '+H+'\" width=\"'+W+'\" height=\"'+H+'\" role=\"img\">';"
    "ticks.forEach(function(t){var y=f(Y(t[0],max));h+='<line x1=\"'+PL+'\" x2=\"'+(W-PR)+'\" y1=\"'+y+'\" y2=\"'+y+"
    "'\" stroke=\"#eee\"/><text x=\"'+(PL-6)+'\" y=\"'+(+y+4)+'\" text-anchor=\"end\">'+e(t[1])+'</text>';});"
    "D.xt.forEach(function(t){h+='<text x=\"'+f(X(t[0]))+'\" y=\"'+(H-PB+16)+'\" text-anchor=\"middle\">'+e(t[1])+'</text>';});"
    "h+='<text class=\"ax\" x=\"'+(PL+W-PR)/2+'\" y=\"'+(H-6)+'\" text-anchor=\"middle\">'+e(L.axMonths)+'</text>';"
    "h+='<text class=\"ax\" transform=\"translate(14,'+(PT+H-PB)/2+') rotate(-90)\" text-anchor=\"middle\">'+e(title)+'</text>';"
    "return h;}"
    "function legend(items){var h='';items.forEach(function(it,i){var y=PT+16*i;"
    "h+='<line x1=\"'+(W-PR+10)+'\" x2=\"'+(W-PR+28)+'\" y1=\"'+(y+5)+'\" y2=\"'+(y+5)+'\" stroke=\"'+it[1]+"
    "'\" stroke-width=\"2\"'+(it[2]?' stroke-dasharray=\"4 3\"':'')+'/><text x=\"'+(W-PR+32)+'\" y=\"'+(y+9)+'\">'+e(it[0])+'</text>';});"
    "return h;}"
    "function band(x,d,sg){return x.s.map(function(v,m){return v===null||d[m]===null?null:v+sg*d[m];});}"
    /* A sentence of the strings table with its figures for %s (%% is %). */
    "function fill(t,a){var i=0;return t.replace(/%[s%]/g,function(c){return c==='%%'?'%':a[i++];});}"
    "function survival(x){var h=frame(D.yS,1,L.axSurvival),u=steps(band(x,x.hi,1),1e-4,1),"
    "l=steps(band(x,x.lo,-1),1e-4,1).reverse();"
    "if(u.length&&l.length)h+='<path d=\"'+d(u.concat(l))+'Z\" fill=\"'+C[0]+'\" fill-opacity=\"0.15\" stroke=\"none\"/>';"
    "h+='<path d=\"'+d(steps(D.C.s,1e-4,1))+'\" fill=\"none\" stroke=\"'+C[1]+'\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>';"
    "h+='<path class=\"km\" d=\"'+d(steps(x.s,1e-4,1))+'\" fill=\"none\" stroke=\"'+C[0]+'\" stroke-width=\"2\"/>';"
    "return h+legend([[x.n,C[0]],[L.company,C[1],1]])+'</svg>';}"
    "function ones(n){var a=[];for(var i=0;i<n;i++)a.push(1);return a;}"
    "function value(x){var max=x.y[0],t=[];for(var i=0;i<5;i++)t.push([max*i/4,x.y[1+i]]);"
    "var h=frame(t,max,L.axArpu),n=D.M+1,sc=function(s){return s.map(function(v){return v===null?null:v*1e-4;});};"
    /* The stage bands: one lane per stage, first to third quartile of tenure. */
    "x.sb.forEach(function(b,k){if(!b)return;var y=PT+2+9*k,x0=X(b[0]),x1=Math.max(X(b[1]),x0+2);"
    "h+='<rect class=\"band\" x=\"'+f(x0)+'\" y=\"'+y+'\" width=\"'+f(x1-x0)+'\" height=\"7\" fill=\"'+C[2+k%4]+"
    "'\" fill-opacity=\"0.35\"><title>'+e(D.stages[k])+'</title></rect><text x=\"'+f(x1+3)+'\" y=\"'+(y+7)+"
    "'\" style=\"font-size:9px\">'+e(D.stages[k])+'</text>';});"
    "h+='<path d=\"'+line(D.C.a,ones(n),max)+'\" fill=\"none\" stroke=\"'+C[1]+'\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>';"
    "h+='<path d=\"'+line(D.C.a,sc(D.C.s),max)+'\" fill=\"none\" stroke=\"'+C[1]+'\" stroke-width=\"1.2\"/>';"
    "h+='<path d=\"'+line(x.a,ones(n),max)+'\" fill=\"none\" stroke=\"'+C[0]+'\" stroke-width=\"1.8\" stroke-dasharray=\"4 3\"/>';"
    "h+='<path d=\"'+line(x.a,sc(x.s),max)+'\" fill=\"none\" stroke=\"'+C[3]+'\" stroke-width=\"2\"/>';"
    "return h+legend([[x.n+': '+L.meanArpu,C[0],1],[x.n+': '+L.arpuS,C[3]],[L.company+': '+L.meanArpu,C[1],1],"
    "[L.company+': '+L.arpuS,C[1]]])+'</svg>';}"
    "function render(){var m=/^#([bs])-(\\d+)$/.exec(location.hash);"
    "if(!m){page.style.display='none';page.innerHTML='';main.style.display='';return;}"
    "var b=m[1]==='b',x=(b?D.B:D.S)[+m[2]];main.style.display='none';page.style.display='';"
    "var h='<p><a href=\"#top\">'+e(L.back)+'</a></p>';"
    "if(!x){page.innerHTML=h+'<p>'+e(L.notFound)+'</p>';return;}"
    "h+='<h1>'+e((b?L.branch:L.segment)+' '+x.n)+'</h1>'+kpis(b?D.KBk:D.KSk,b?D.KB:D.KS,x.k);"
    "h+='<h2>'+e(L.hSurvival)+'</h2>'+survival(x)+'<h2>'+e(L.hValue)+'</h2><p>'+e(L.valueNote)+'</p>'+value(x);"
    "h+='<h2>'+e(L.hStages)+'</h2>'+table('stages',D.stH,D.stK,x.st.map(function(r,i){return [D.stages[i]].concat(r);}));"
    "h+='<h2>'+e(L.hTiers)+'</h2>'+table('tiers',D.tiH,D.tiK,x.ti.map(function(r,i){return [D.tiers[i]].concat(r);}));"
    "if(b)h+='<h2>'+e(L.hScores)+'</h2>'+table('scores',D.scH,D.scK,x.sc.map(function(r,i){return [D.scores[i]].concat(r);}))"
    "+'<h2>'+e(L.hLever)+'</h2><p class=\"lever\">'+e(fill(D.lvT,x.lv))+'</p><p>'+e(fill(D.lfT,x.lf))+'</p>';"
    "else h+='<p>'+e(L.noScores)+'</p>';"
    "h+='<h2>'+e(L.hWarning)+'</h2>'+(x.w.length?table('warning',D.wH,null,x.w):'<p>'+e(L.noWarning)+'</p>');"
    "h+='<h2>'+e(L.hEquity)+'</h2>'+(x.eq?kpis(D.eqK,D.eqH,x.eq):'<p>'+e(L.noEquity)+'</p>');"
    "page.innerHTML=h;window.scrollTo(0,0);}"
    /* The index of every page, drawn when it is opened (thousands of links). */
    "var idx=document.getElementById('pages-index');if(idx)idx.addEventListener('toggle',function(){"
    "if(idx.dataset.done)return;idx.dataset.done='1';var h='<p>';"
    "D.B.forEach(function(x,i){h+='<a href=\"#b-'+i+'\">'+e(x.n)+'</a> ';});h+='</p><p>';"
    "D.S.forEach(function(x,i){h+='<a href=\"#s-'+i+'\">'+e(L.segment+' '+x.n)+'</a> ';});"
    "idx.insertAdjacentHTML('beforeend',h+'</p>');});"
    "window.addEventListener('hashchange',render);render();"
    "})();";

void pages_begin(FILE *out)
{
    fputs("<div id=\"page\" style=\"display:none\"></div>\n<script type=\"application/json\" id=\"clm-data\">", out);
}

void pages_end(FILE *out)
{
    fprintf(out, "</script>\n<script>%s</script>\n", renderer);
}
