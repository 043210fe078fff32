package dev.r1.models.template;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python's str methods that Hugging Face chat templates call ({@code content.split('</think>')[-1]},
 * {@code .strip()}, {@code .startswith(...)}), which Jinjava would otherwise resolve to Java's String
 * methods: Java's split takes a regex and drops trailing empty strings, and startswith does not exist.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result = switch (name) {
            case "split" -> p.length == 0 || p[0] == null ? splitWhitespace(s) : split(s, str(p[0]), p.length > 1 ? toInt(p[1]) : -1);
            case "startswith" -> p.length == 1 ? s.startsWith(str(p[0])) : null;
            case "endswith" -> p.length == 1 ? s.endsWith(str(p[0])) : null;
            case "strip" -> p.length == 0 ? s.strip() : rstrip(lstrip(s, str(p[0])), str(p[0]));
            case "lstrip" -> p.length == 0 ? s.stripLeading() : lstrip(s, str(p[0]));
            case "rstrip" -> p.length == 0 ? s.stripTrailing() : rstrip(s, str(p[0]));
            case "upper" -> p.length == 0 ? s.toUpperCase(Locale.ROOT) : null;
            case "lower" -> p.length == 0 ? s.toLowerCase(Locale.ROOT) : null;
            case "replace" -> p.length == 2 ? s.replace(str(p[0]), str(p[1])) : null;
            case "find" -> p.length == 1 ? s.indexOf(str(p[0])) : null;
            // Anything else would reach Java's String methods through Jinjava's bean resolver: matches,
            // replaceAll, split-by-regex (a pattern from the model file can backtrack for hours inside one
            // expression, past the render deadline), repeat (gigabytes). A chat template is Python's Jinja:
            // only the str methods above exist here.
            default -> throw JinjaChatTemplate.refuse("string method '" + name
                    + "' is not available in chat templates (str methods: split, startswith, endswith, strip, lstrip, "
                    + "rstrip, upper, lower, replace, find)");
        };
        if (result == null) throw JinjaChatTemplate.refuse("string method '" + name + "' called with " + p.length + " arguments");
        context.setPropertyResolved(true);
        return result;
    }

    private static String str(Object o) { return String.valueOf(o); }

    private static int toInt(Object o) { return o instanceof Number n ? n.intValue() : Integer.parseInt(str(o)); }

    static List<String> split(String s, String sep, int maxSplit) {
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<String> out = new ArrayList<>();
        int i = 0, k;
        while ((maxSplit < 0 || out.size() < maxSplit) && (k = s.indexOf(sep, i)) >= 0) {
            out.add(s.substring(i, k));
            i = k + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    private static List<String> splitWhitespace(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.strip().split("\\s+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) i++;
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && chars.indexOf(s.charAt(i - 1)) >= 0) i--;
        return s.substring(0, i);
    }

    @Override public Object getValue(ELContext context, Object base, Object property) { return null; }
    @Override public Class<?> getType(ELContext context, Object base, Object property) { return null; }
    @Override public void setValue(ELContext context, Object base, Object property, Object value) {}
    @Override public boolean isReadOnly(ELContext context, Object base, Object property) { return true; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return null; }
    @Override public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }
}
